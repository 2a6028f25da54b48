import t from 'tap'
import Fastify from 'fastify'
import { createServer } from 'node:http'
import { once } from 'node:events'
import { createLoginClient, type LoginRequest } from 'modular-login-client'
import { sidOf } from '../helpers/app.js'
import { expiredLease, liveServer } from '../helpers/realtime.js'
import type { Teardown } from '../helpers/teardown.js'

async function setup(t: Teardown) {
  const server = await liveServer(t)
  // No membership cache: grants are not pushed, and these tests grant as they go.
  const login = createLoginClient({ server: server.url, app: await server.addApp(), logger: false, membershipTtlMs: 0 })
  t.teardown(() => login.close())
  await login.ready()
  const owner = (await login.ensure('chat', 'test:127.0.0.1')).owner
  const cookie = await server.signIn('kim')
  const kim = (await server.app.ctx.users.findByIdentity('test', 'kim'))!
  await login.grant(kim.id, 'chat/dm1')
  await login.grant(kim.id, `chat/dm1/${kim.id}/img7/read_access`)
  return { server, login, cookie, kim, owner }
}

t.test('Fastify: required, optional, groups from route params, redirects, 401, 403, renewed cookie', async t => {
  const { server, login, cookie, kim } = await setup(t)
  const app = Fastify()
  await app.register(login.fastify)
  app.get('/me', { preHandler: login.required() }, async request => request.user)
  app.post('/me', { preHandler: login.required() }, async request => request.user)
  app.get('/maybe', { preHandler: login.optional() }, async request => ({ user: request.user }))
  app.get<{ Params: { dm: string; img: string } }>(
    '/chats/:dm/images/:img',
    {
      preHandler: login.required({
        group: req =>
          `!chat/${req.params.dm}/blocked & chat/${req.params.dm}/${req.user.id}/${req.params.img}/read_access`,
      }),
    },
    async request => ({ image: request.params.img }),
  )
  await app.register(
    async scoped => {
      scoped.addHook('preHandler', login.required({ group: 'chat/dm1' }))
      scoped.get('/inside', async request => request.user!.name)
    },
    { prefix: '/private' },
  )
  t.teardown(() => app.close())

  const me = await app.inject({ url: '/me', headers: { cookie } })
  t.equal(me.statusCode, 200)
  t.same(me.json(), { id: kim.id, name: 'kim', picture: '' })

  const away = await app.inject({ url: '/me?x=1', headers: { host: 'app.localhost:3000' } })
  t.equal(away.statusCode, 302)
  t.equal(away.headers.location, `${server.url}/login?next=${encodeURIComponent('http://app.localhost:3000/me?x=1')}`)
  const post = await app.inject({ method: 'POST', url: '/me' })
  t.equal(post.statusCode, 401)
  t.match(post.json(), { statusCode: 401, code: 'LOGIN_ERR_UNAUTHENTICATED' })

  t.same((await app.inject({ url: '/maybe' })).json(), { user: null })
  t.equal((await app.inject({ url: '/maybe', headers: { cookie } })).json().user.name, 'kim')

  t.equal((await app.inject({ url: '/chats/dm1/images/img7', headers: { cookie } })).statusCode, 200)
  const other = await app.inject({ url: '/chats/dm1/images/img8', headers: { cookie } })
  t.equal(other.statusCode, 403)
  t.equal(other.json().code, 'LOGIN_ERR_FORBIDDEN')
  const badParam = await app.inject({ url: '/chats/dm1%20x/images/img7', headers: { cookie } })
  t.equal(badParam.statusCode, 400, 'a route param that makes no valid path is a 400')
  t.equal(badParam.json().code, 'LOGIN_ERR_BAD_EXPRESSION')
  await login.grant(kim.id, 'chat/dm1/blocked')
  t.equal((await app.inject({ url: '/chats/dm1/images/img7', headers: { cookie } })).statusCode, 403, 'blocked')

  t.equal((await app.inject({ url: '/private/inside', headers: { cookie } })).body, 'kim', 'a guard for a whole prefix')
  t.equal((await app.inject({ url: '/private/inside' })).statusCode, 302)

  const old = await expiredLease(server, 'lee')
  const renewed = await app.inject({ url: '/me', headers: { cookie: old } })
  t.equal(renewed.statusCode, 200)
  const setCookie = String(renewed.headers['set-cookie'])
  t.match(setCookie, /^login=[\w.-]+; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Lax$/)
  t.equal(sidOf(setCookie.split(';')[0]!), sidOf(old))
})

t.test('node:http middleware: the same rules, and a promise for plain handlers', async t => {
  const { login, cookie, kim } = await setup(t)
  const guard = login.middleware()
  const member = login.middleware({ group: req => `chat/${new URL(req.url!, 'http://x').searchParams.get('dm')}` })
  const optional = login.middleware({ required: false })
  const http = createServer(async (req, res) => {
    const path = req.url!.split('?')[0]
    const ok = await (path === '/dm' ? member : path === '/maybe' ? optional : guard)(req, res)
    if (!ok) return
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify((req as LoginRequest).user))
  })
  http.listen(0, '127.0.0.1')
  await once(http, 'listening')
  t.teardown(() => http.close())
  const base = `http://127.0.0.1:${(http.address() as { port: number }).port}`

  const me = await fetch(`${base}/me`, { headers: { cookie } })
  t.equal(me.status, 200)
  t.same(await me.json(), { id: kim.id, name: 'kim', picture: '' })
  const away = await fetch(`${base}/me`, { redirect: 'manual' })
  t.equal(away.status, 302)
  t.match(away.headers.get('location'), /\/login\?next=http%3A%2F%2F127\.0\.0\.1%3A\d+%2Fme$/)
  const post = await fetch(`${base}/me`, { method: 'POST' })
  t.equal(post.status, 401)
  t.equal((await post.json()).code, 'LOGIN_ERR_UNAUTHENTICATED')
  t.equal((await fetch(`${base}/dm?dm=dm1`, { headers: { cookie } })).status, 200)
  t.equal((await fetch(`${base}/dm?dm=dm2`, { headers: { cookie } })).status, 403)
  t.equal(await (await fetch(`${base}/maybe`)).text(), 'null')

  // Connect/Express style: next() on success, nothing on denial.
  let nexted = 0
  const fakeRes = {
    appendHeader() {},
    writeHead() {
      return { end() {} }
    },
  }
  const fakeReq = (c?: string) => ({ headers: c ? { cookie: c } : {}, socket: {}, method: 'GET', url: '/' })
  t.equal(
    await guard(fakeReq(cookie) as never, fakeRes as never, () => {
      nexted++
    }),
    true,
  )
  t.equal(
    await guard(fakeReq() as never, fakeRes as never, () => {
      nexted++
    }),
    false,
  )
  t.equal(nexted, 1)
})
