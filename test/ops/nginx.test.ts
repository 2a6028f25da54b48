// The nginx block of docs/forward-auth.md, run as written in a real nginx
// (Debian's nginx-light) between a browser-like client, the login server and an app.
import t from 'tap'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { freePort, leaseCookie, serveApp } from '../helpers/app.js'
import { nginxMissing, startNginx } from '../helpers/nginx.js'

const missing = nginxMissing()
if (missing) {
  t.skip(`the documented nginx example in a real nginx: ${missing}`, () => {})
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

    await startNginx(t, nginxPort, Number(loginPort), appPort)

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
