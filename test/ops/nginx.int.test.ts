// The nginx block of docs/forward-auth.md, run as written in a real nginx
// (Debian's nginx-light) between a browser-like client, the login server and an app:
// one block protecting two hosts under different access rules, changed while it runs.
import t from 'tap'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { leaseCookie, serveApp } from '../helpers/app.js'
import { freePort } from '../helpers/free-port.js'
import { documentedNginxBlock, nginxMissing, startNginx } from '../helpers/nginx.js'
import { checkRule } from '../../src/rules/rule-spec.js'

const missing = nginxMissing()
if (missing) {
  t.skip(`the documented nginx example in a real nginx: ${missing}`, () => {})
} else {
  t.test('the documented nginx block: one block for two hosts with different rules, changed live', async t => {
    // The app behind nginx says what it was asked and who nginx says is asking.
    const upstream = createServer((request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end(
        JSON.stringify({
          host: request.headers.host,
          url: request.url,
          user: request.headers['x-login-user'] ?? null,
          groups: request.headers['x-login-groups'] ?? null,
        }),
      )
    })
    upstream.listen(0, '127.0.0.1')
    await once(upstream, 'listening')
    t.teardown(() => upstream.close())
    const appPort = (upstream.address() as AddressInfo).port

    const nginxPort = await freePort()
    const site = `http://localhost:${nginxPort}`
    // The login server closes idle connections after 500 ms; the documented 4 s below 5 s becomes 400 ms below it.
    let connections = 0
    const login = await serveApp(t, { publicUrl: site, leaseSeconds: 60, keepAliveTimeoutMs: 500 }, app =>
      app.server.on('connection', () => connections++),
    )
    const loginPort = new URL(login.base).port
    const rules = login.app.ctx.rules
    const admin = { actor: 'test' }
    await rules.add(checkRule({ host: 'one.localhost', allow: 'staff' }), admin)
    await rules.add(checkRule({ host: 'two.localhost', path: '/open', public: true }), admin)
    await rules.add(checkRule({ host: 'two.localhost', path: '/closed', deny: true }), admin)

    const block = documentedNginxBlock()
    t.match(block, /upstream login \{[^}]*keepalive 32;[^}]*keepalive_timeout 4s;/, 'upstream connections are kept')
    t.match(block, /proxy_http_version 1\.1;/)
    const { dir } = await startNginx(t, nginxPort, Number(loginPort), appPort, {
      serverNames: ['one.localhost', 'two.localhost', 'localhost'],
      upstreamIdle: '400ms',
    })

    const original = '/page?x=1&y=2&next=%2Fother'
    const away = await get(nginxPort, 'one.localhost', original)
    t.equal(away.status, 302, 'signed out: sent to sign in')
    const signInPage = new URL(away.headers.location!)
    t.equal(`${signInPage.origin}${signInPage.pathname}`, `${site}/login`)
    const next = `http://one.localhost:${nginxPort}${original}`
    t.equal(signInPage.searchParams.get('next'), next, 'with the whole original URL as next')

    const signedIn = await get(nginxPort, 'localhost', `/login/test/as?who=alice&next=${encodeURIComponent(next)}`)
    t.equal(signedIn.status, 303)
    t.equal(signedIn.headers.location, next, 'signing in lands back on it')
    const alice = leaseCookie(login.config, signedIn.headers['set-cookie'])
    const aliceId = (await login.app.inject({ url: '/login/me', headers: { cookie: alice } })).json().id
    const bob = leaseCookie(
      login.config,
      (await get(nginxPort, 'localhost', '/login/test/as?who=bob')).headers['set-cookie'],
    )
    await login.app.ctx.groups.tree.ensureNamespace('staff', 'test', 'alice')

    // one.localhost: staff only.
    const page = await get(nginxPort, 'one.localhost', original, alice)
    t.equal(page.status, 200)
    t.same(
      JSON.parse(page.body),
      { host: `127.0.0.1:${appPort}`, url: original, user: aliceId, groups: 'staff' },
      'the app gets the request, the user and the groups of the rule',
    )
    t.equal((await get(nginxPort, 'one.localhost', '/', bob)).status, 403, 'a non-member gets 403')
    t.equal((await get(nginxPort, 'one.localhost', '/?group=x', bob)).status, 403, 'whatever the query string says')
    // two.localhost, through the same block: its own rules.
    t.equal((await get(nginxPort, 'two.localhost', '/open/x')).status, 200, 'public: nobody signed in')
    t.equal((await get(nginxPort, 'two.localhost', '/closed', alice)).status, 403, 'denied to anyone')
    t.equal((await get(nginxPort, 'two.localhost', '/%63losed', alice)).status, 403, 'however it is spelt')
    t.equal((await get(nginxPort, 'two.localhost', '/else', bob)).status, 200, 'no rule: signed in is enough')
    t.equal((await get(nginxPort, 'two.localhost', '/else')).status, 302, 'and signed out is sent to sign in')

    // A rule added while nginx runs counts at once, without a reload.
    const before = await rules.add(checkRule({ host: 'two.localhost', path: '/else', allow: 'staff' }), admin)
    t.equal((await get(nginxPort, 'two.localhost', '/else', bob)).status, 403, 'the new rule refuses bob')
    t.equal((await get(nginxPort, 'two.localhost', '/else', alice)).status, 200, 'and lets alice in')
    await rules.remove(before.id, admin)
    t.equal((await get(nginxPort, 'two.localhost', '/else', bob)).status, 200, 'removed: bob is back')

    // An expired lease is renewed by the check and the new cookie passed on to the browser.
    login.clock.advance(120)
    const renewed = await get(nginxPort, 'one.localhost', original, alice)
    t.equal(renewed.status, 200)
    t.not(leaseCookie(login.config, renewed.headers['set-cookie']), alice, 'with a renewed lease')
    const fresh = leaseCookie(login.config, renewed.headers['set-cookie'])

    // Checks share kept-alive connections, and none fails when the login server closes idle ones: nginx lets
    // them go first. The pauses straddle both timeouts (nginx's 400 ms, the server's 500 ms).
    const burst = connections
    for (let i = 0; i < 20; i++) t.equal((await get(nginxPort, 'one.localhost', '/', fresh)).status, 200)
    t.ok(connections - burst <= 2, `20 checks in a row took ${connections - burst} new connections`)
    let failed = 0
    for (const pause of [100, 350, 390, 410, 450, 490, 510, 550, 700, 380, 480, 520]) {
      await new Promise(resolve => setTimeout(resolve, pause))
      if ((await get(nginxPort, 'one.localhost', '/', fresh)).status !== 200) failed++
    }
    t.equal(failed, 0, 'no check failed across the idle closes')
    t.notMatch(readFileSync(join(dir, 'error.log'), 'utf8'), /upstream prematurely closed|reset by peer/)
  })
}

/** A GET through nginx as `host` (fetch cannot set Host), with a cookie when given. */
function get(port: number, host: string, path: string, cookie?: string) {
  return new Promise<{ status: number; headers: IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const request = httpRequest(
      { host: '127.0.0.1', port, path, headers: { host: `${host}:${port}`, ...(cookie ? { cookie } : {}) } },
      response => {
        let body = ''
        response.setEncoding('utf8')
        response.on('data', chunk => (body += chunk))
        response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body }))
      },
    )
    request.on('error', reject)
    request.end()
  })
}
