import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { startApp } from '../helpers/app.js'
import { formToken } from '../helpers/csrf.js'

const json = { 'content-type': 'application/json' }
const form = { 'content-type': 'application/x-www-form-urlencoded' }

async function profile(app: FastifyInstance, cookie: string) {
  return (await app.inject({ url: '/login/profile', headers: { cookie } })).json() as {
    handle: string | null
    addresses: string[]
    email: string | null
  }
}

async function userId(app: FastifyInstance, cookie: string): Promise<string> {
  return ((await app.inject({ url: '/login/me', headers: { cookie } })).json() as { id: string }).id
}

t.test('a handle is given at the first sign-in, from the name, unique whatever its case', async t => {
  const { app, signIn } = await startApp(t)
  const names: [string, string][] = [
    ['Zoë Quinn', 'Zoe.Quinn'],
    ['zoe quinn', 'zoe.quinn2'],
    ['  --ünïcode--  ', 'unicode'],
    ['日本', 'user'],
    ['x'.repeat(60), 'x'.repeat(40)],
    ['X'.repeat(41), `${'X'.repeat(39)}2`],
  ]
  for (const [name, handle] of names) t.equal((await profile(app, await signIn(name))).handle, handle, name)
  const again = await signIn('Zoë Quinn')
  t.equal((await profile(app, again)).handle, 'Zoe.Quinn', 'kept at later sign-ins')
  t.equal((await app.inject({ url: '/login/profile' })).statusCode, 401)
})

t.test('choosing a handle: checked, unique, and two people asking at once cannot both get it', async t => {
  const { app, signIn } = await startApp(t)
  const ann = await signIn('ann')
  const ben = await signIn('ben')
  const choose = (cookie: string, handle: unknown) =>
    app.inject({ method: 'POST', url: '/login/handle', headers: { cookie, ...json }, payload: { handle } })

  const chosen = await choose(ann, 'Ann.Lee')
  t.equal(chosen.statusCode, 200)
  t.same(chosen.json(), { handle: 'Ann.Lee' })
  t.equal((await profile(app, ann)).handle, 'Ann.Lee')

  const taken = await choose(ben, 'ann.lee')
  t.equal(taken.statusCode, 409)
  t.match(taken.json(), { code: 'LOGIN_ERR_CONFLICT', message: 'The handle ann.lee is taken; choose another' })
  t.equal((await profile(app, ben)).handle, 'ben', 'nothing changed')
  t.equal((await choose(ann, 'ann.lee')).statusCode, 200, 'its owner may change its case')

  for (const bad of ['', '.ann', 'ann-', 'a b', 'ann/lee', 'ännchen', 'a'.repeat(41), 'a@b']) {
    const refused = await choose(ben, bad)
    t.equal(refused.statusCode, 400, JSON.stringify(bad))
    t.match(refused.json(), { code: 'LOGIN_ERR_BAD_REQUEST' })
  }
  t.match((await choose(ben, ['a'])).json(), { code: 'LOGIN_ERR_BAD_REQUEST' }, 'not a string')

  const racers = await Promise.all(
    Array.from({ length: 6 }, async (_, i) => choose(await signIn(`racer${i}`), 'Contested')),
  )
  t.same(
    racers.map(r => r.statusCode).sort(),
    [200, 409, 409, 409, 409, 409],
    'one of six gets it, the others are told it is taken',
  )
})

t.test('the address apps see: only one a sign-in method vouched for, picked on the sessions page', async t => {
  const { app, signIn, clock } = await startApp(t)
  const cookie = await signIn('cleo')
  const id = await userId(app, cookie)
  t.same(
    await profile(app, cookie),
    { handle: 'cleo', addresses: [], email: null },
    'the test provider vouches for none',
  )
  let page = await app.inject({ url: '/login/view/sessions', headers: { cookie } })
  t.match(page.body, /Address apps see: none/)

  const { users } = app.ctx
  await users.link(id, 'google', 'g-cleo', clock.now(), 'cleo@gmail.example')
  t.same(await profile(app, cookie), { handle: 'cleo', addresses: ['cleo@gmail.example'], email: 'cleo@gmail.example' })
  await users.link(id, 'github', 'gh-cleo', clock.now() + 1, 'cleo@work.example')
  t.equal((await profile(app, cookie)).email, 'cleo@gmail.example', 'the first one, until another is picked')

  page = await app.inject({ url: '/login/view/sessions', headers: { cookie } })
  t.match(page.body, /<legend>Address apps see<\/legend>/)
  t.match(page.body, /<input type="radio" name="email" value="cleo@gmail.example" checked>/)
  t.match(page.body, /<input id="handle" name="handle" value="cleo"/)

  const pick = (email: string, headers: Record<string, string> = json) =>
    app.inject({
      method: 'POST',
      url: '/login/email',
      headers: { cookie, ...headers },
      payload: headers === json ? { email } : new URLSearchParams({ email, _csrf: token }).toString(),
    })
  const token = await formToken(app, cookie)
  const posted = await pick('cleo@work.example', form)
  t.equal(posted.statusCode, 303, 'the form goes back to the sessions page')
  t.equal(posted.headers.location, '/login/view/sessions')
  t.equal((await profile(app, cookie)).email, 'cleo@work.example')

  const invented = await pick('someone@else.example')
  t.equal(invented.statusCode, 400)
  t.match(invented.json(), { code: 'LOGIN_ERR_BAD_REQUEST', message: /vouched for/ })
  t.equal((await profile(app, cookie)).email, 'cleo@work.example', 'nothing changed')

  const forged = await app.inject({
    method: 'POST',
    url: '/login/email',
    headers: { cookie, ...form },
    payload: 'email=cleo%40gmail.example',
  })
  t.equal(forged.statusCode, 403, 'a form post without the form token is refused')
  t.match(forged.json(), { code: 'LOGIN_ERR_CSRF' })

  await users.vouched('github', 'gh-cleo', null)
  t.equal(
    (await profile(app, cookie)).email,
    'cleo@gmail.example',
    'a picked address no longer vouched for is not shown',
  )
})
