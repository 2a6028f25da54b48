import t from 'tap'
import { sidOf, startApp } from '../helpers/app.js'

t.test('delete: every session revoked (and logged for apps), registered steps run, the user gone', async t => {
  const { app, clock, signIn } = await startApp(t)
  const cookies = [await signIn('alice'), await signIn('alice')]
  const bob = await signIn('bob')
  const user = (await app.inject({ url: '/login/me', headers: { cookie: cookies[0]! } })).json()
  const steps: [string, number][] = []
  app.ctx.accounts.onDelete(async (userId, now) => {
    steps.push([userId, now])
  })
  const head = await app.ctx.revocations.head()

  t.equal(await app.ctx.accounts.delete(user.id), true)
  t.same(steps, [[user.id, clock.now()]], 'the registered step ran once with the user and the time')
  t.equal(await app.ctx.users.get(user.id), undefined)
  t.equal(await app.ctx.users.findByIdentity('test', 'alice'), undefined)
  const logged = await app.ctx.revocations.since(head)
  t.same(
    logged.map(r => [r.kind, r.subject, r.userId]).sort(),
    cookies.map(c => ['session', sidOf(c), user.id]).sort(),
    'one revocation per session, for apps to hear about',
  )
  for (const cookie of cookies)
    t.equal((await app.inject({ url: '/login/check', headers: { cookie } })).statusCode, 401)
  t.equal((await app.inject({ url: '/login/check', headers: { cookie: bob } })).statusCode, 200)
  t.equal(await app.ctx.accounts.delete(user.id), false, 'deleting again answers false')
  t.equal(await app.ctx.accounts.delete('00000000-0000-4000-8000-000000000000'), false, 'so does an unknown id')
})

t.test('delete: a failing step leaves the account in place', async t => {
  const { app, signIn } = await startApp(t)
  const cookie = await signIn('alice')
  const user = (await app.inject({ url: '/login/me', headers: { cookie } })).json()
  app.ctx.accounts.onDelete(async () => {
    throw new Error('cleanup failed')
  })
  await t.rejects(app.ctx.accounts.delete(user.id), /cleanup failed/)
  t.same(await app.ctx.users.get(user.id), user, 'the user row is kept (one transaction)')
  t.equal((await app.ctx.users.identities(user.id)).length, 1)
})
