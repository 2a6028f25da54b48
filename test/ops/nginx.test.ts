// The nginx block of docs/forward-auth.md, run as written in a real nginx
// (Debian's nginx-light) between a browser-like client, the login server and an app.
import t from 'tap'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { freePort, leaseCookie, serveApp, tempDir } from '../helpers/app.js'
import { within } from '../helpers/realtime.js'

const NGINX = '/usr/sbin/nginx'

/** The ```nginx block of docs/forward-auth.md, "nginx". */
function documentedBlock(): string {
  const page = readFileSync(new URL('../../docs/forward-auth.md', import.meta.url), 'utf8')
  const block = /```nginx\n([\s\S]*?)```/.exec(page)
  if (!block) throw new Error('docs/forward-auth.md has no nginx block')
  return block[1]!
}

if (!existsSync(NGINX)) {
  if (process.env.CI === 'true')
    throw new Error(`nginx is required under CI: ${NGINX} is missing (apt-get install nginx-light)`)
  t.skip(`the documented nginx example in a real nginx: ${NGINX} is not installed`, () => {})
} else {
  t.test('the documented nginx block: sign-in redirect keeps the URL, groups, renewed leases', async t => {
    // The app behind nginx says what it was asked and who nginx says is asking.
    const upstream = createServer((request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end(JSON.stringify({ url: request.url, user: request.headers['x-login-user'] ?? null }))
    })
    upstream.listen(0, '127.0.0.1')
    await once(upstream, 'listening')
    t.teardown(() => upstream.close())
    const appPort = (upstream.address() as AddressInfo).port

    const nginxPort = await freePort()
    const site = `http://localhost:${nginxPort}`
    const login = await serveApp(t, { publicUrl: site, leaseSeconds: 60 })
    const loginPort = new URL(login.base).port

    const dir = tempDir(t, 'login-nginx-')
    for (const temp of ['body', 'proxy']) mkdirSync(join(dir, temp))
    const locations = documentedBlock()
      .replaceAll('127.0.0.1:8000', `127.0.0.1:${loginPort}`)
      .replaceAll('127.0.0.1:8080', `127.0.0.1:${appPort}`)
    writeFileSync(
      join(dir, 'nginx.conf'),
      `daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/proxy;
  uwsgi_temp_path ${dir}/proxy;
  scgi_temp_path ${dir}/proxy;
  server {
    listen 127.0.0.1:${nginxPort};
    server_name localhost;
${locations}
  }
}
`,
    )
    const nginx = spawn(NGINX, ['-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    nginx.stderr.on('data', chunk => (stderr += chunk))
    const exited = once(nginx, 'exit')
    t.teardown(async () => {
      if (nginx.exitCode === null) {
        nginx.kill('SIGKILL')
        await exited
      }
    })
    // Ready when it answers; a config it refuses ends the process at once.
    await within(
      60_000,
      async () => {
        if (nginx.exitCode !== null) throw new Error(`nginx exited ${nginx.exitCode}: ${stderr}`)
        return fetch(`http://127.0.0.1:${nginxPort}/login/health`).then(
          r => r.ok,
          () => false,
        )
      },
      50,
    )

    const get = (path: string, cookie?: string) =>
      fetch(`${site}${path}`, { redirect: 'manual', headers: cookie ? { cookie } : {} })

    const original = '/app/page?x=1&y=2&next=%2Fother'
    const away = await get(original)
    t.equal(away.status, 302, 'signed out: sent to sign in')
    const signInPage = new URL(away.headers.get('location')!)
    t.equal(`${signInPage.origin}${signInPage.pathname}`, `${site}/login`)
    t.equal(signInPage.searchParams.get('next'), `${site}${original}`, 'with the whole original URL as next')

    const signedIn = await get(
      `/login/test/as?who=alice&next=${encodeURIComponent(signInPage.searchParams.get('next')!)}`,
    )
    t.equal(signedIn.status, 303)
    t.equal(signedIn.headers.get('location'), `${site}${original}`, 'signing in lands back on it')
    const alice = leaseCookie(login.config, signedIn.headers.getSetCookie())
    const aliceId = (await login.app.inject({ url: '/login/me', headers: { cookie: alice } })).json().id

    const page = await get(original, alice)
    t.equal(page.status, 200)
    t.same(await page.json(), { url: original, user: aliceId }, 'the app gets the request and the user')

    // Groups: the check location fixes the expression; the visitor's query string cannot change it.
    const bob = leaseCookie(login.config, (await get('/login/test/as?who=bob')).headers.getSetCookie())
    await login.app.ctx.groups.tree.ensureNamespace('chat/room', 'test', 'alice')
    t.equal((await get('/chat/', alice)).status, 200, 'a member of chat/room passes')
    t.equal((await get('/chat/', bob)).status, 403, 'a non-member gets 403')
    t.equal((await get('/chat/?group=x', bob)).status, 403, 'whatever the query string says')
    t.equal((await get('/chat/?group=x&group=y', bob)).status, 403, 'even twice')
    t.equal((await get('/chat/?x=1')).status, 302, 'signed out: sent to sign in there too')

    // An expired lease is renewed by the check and the new cookie passed on to the browser.
    login.clock.advance(120)
    const renewed = await get(original, alice)
    t.equal(renewed.status, 200)
    t.not(leaseCookie(login.config, renewed.headers.getSetCookie()), alice, 'with a renewed lease')
  })
}
