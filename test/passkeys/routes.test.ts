// The passkey routes in process: what each ceremony's options ask of the browser, the answers refused before
// (or by) their verification, the settings, and the rules about an account's passkeys. Passkeys that verify are
// made by a real browser's authenticator: test/browser/passkeys*.test.ts.
import t, { type Test } from 'tap'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { startApp } from '../helpers/app.js'
import { formToken } from '../helpers/csrf.js'
import { openLink } from '../helpers/invitations.js'
import { answerNaming, flowCookie, passkeyAccount, passkeySession, storedPasskey } from '../helpers/passkeys.js'

const json = { 'content-type': 'application/json' }
const form = { 'content-type': 'application/x-www-form-urlencoded' }

function post(app: FastifyInstance, url: string, payload: unknown, headers: Record<string, string> = {}) {
  return app.inject({ method: 'POST', url, headers: { ...json, ...headers }, payload: JSON.stringify(payload) })
}

/** Options and the flow cookie that binds their challenge to this "browser". */
async function options(app: FastifyInstance, url: string, payload: unknown, headers: Record<string, string> = {}) {
  const response = await post(app, url, payload, headers)
  if (response.statusCode !== 200) throw new Error(`${url}: ${response.statusCode} ${response.body}`)
  const cookie = [headers.cookie, flowCookie(response.headers['set-cookie'])].filter(Boolean).join('; ')
  return { options: response.json(), cookie, response }
}

/** A passkey answer refused with LOGIN_ERR_PASSKEY (400), saying why. */
function refused(t: Test, response: LightMyRequestResponse, message: RegExp, what: string) {
  t.match(response.json(), { statusCode: 400, code: 'LOGIN_ERR_PASSKEY', message }, what)
}

const main = await startApp(t)
const { app, clock, signIn } = main
await app.ctx.groups.tree.ensureNamespace('club', 'test', 'owner')
const ownerCookie = await signIn('owner')

t.test('each ceremony asks for a discoverable, verified passkey of this site, without attestation', async t => {
  const signInOptions = await options(app, '/login/passkeys/sign-in/options', { next: '/app' })
  t.match(signInOptions.options, { rpId: 'localhost', userVerification: 'required', timeout: 300_000 })
  t.notOk(signInOptions.options.allowCredentials?.length, 'any passkey of the site: no name asked first')
  const flow = (signInOptions.response.headers['set-cookie'] as string).split(';').map(s => s.trim())
  t.ok(flow.includes('HttpOnly') && flow.includes('SameSite=Lax'), 'the challenge is bound to this browser')

  const cookie = await signIn('Ada')
  const ada = (await app.ctx.users.findByIdentity('test', 'Ada'))!
  const existing = await storedPasskey(app, ada.id)
  const add = await options(app, '/login/passkeys/add/options', {}, { cookie })
  t.match(add.options, {
    rp: { id: 'localhost' },
    user: { id: Buffer.from(ada.id).toString('base64url'), name: 'Ada' },
    attestation: 'none',
    authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
    excludeCredentials: [{ id: existing.credentialId }],
  })
  t.same(
    add.options.pubKeyCredParams.map((p: { alg: number }) => p.alg),
    [-7, -8, -257],
    'ES256, EdDSA and RS256',
  )
  const unsigned = await post(app, '/login/passkeys/add/options', {})
  t.match(unsigned.json(), { code: 'LOGIN_ERR_UNAUTHENTICATED' }, 'adding needs an account to add to')

  const link = await app.ctx.groups.invitations.create(
    (await app.ctx.users.findByIdentity('test', 'owner'))!.id,
    openLink('club'),
  )
  const signUp = await options(app, '/login/passkeys/sign-up/options', { name: '  Zoë   Q ', invitation: link.code })
  t.match(signUp.options, {
    user: { name: 'Zoë Q', displayName: 'Zoë Q' },
    excludeCredentials: [],
    authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
  })
  const handle = Buffer.from(signUp.options.user.id, 'base64url').toString()
  t.match(handle, /^[0-9a-f-]{36}$/, 'the new account has its id before it exists')
  t.equal(await app.ctx.users.get(handle), undefined, 'but nothing is created until the passkey comes back')
})

t.test('an answer is refused when its challenge is not this browser’s, fresh and for the same step', async t => {
  const cookie = await signIn('Bea')
  const signInStep = await options(app, '/login/passkeys/sign-in/options', {})
  const addStep = await options(app, '/login/passkeys/add/options', {}, { cookie })
  const garbled = answerNaming('x', 'get')
  garbled.response.response.clientDataJSON = 'not json'
  const cases: { what: string; url: string; body: unknown; cookie?: string; message: RegExp }[] = [
    {
      what: 'no flow cookie (another browser, or cookies blocked)',
      url: '/login/passkeys/sign-in',
      body: answerNaming(signInStep.options.challenge, 'get'),
      message: /this browser asked for no challenge/,
    },
    {
      what: 'a challenge nobody made',
      url: '/login/passkeys/sign-in',
      body: answerNaming('made-up', 'get'),
      cookie: signInStep.cookie,
      message: /unknown, was already used, or was made for another browser/,
    },
    {
      what: "another browser's challenge",
      url: '/login/passkeys/sign-in',
      body: answerNaming(signInStep.options.challenge, 'get'),
      cookie: (await options(app, '/login/passkeys/sign-in/options', {})).cookie,
      message: /made for another browser/,
    },
    {
      what: 'a challenge made for adding a passkey, answered as a sign-in',
      url: '/login/passkeys/sign-in',
      body: answerNaming(addStep.options.challenge, 'get'),
      cookie: addStep.cookie,
      message: /unknown, was already used/,
    },
    {
      what: 'client data that names no challenge',
      url: '/login/passkeys/sign-in',
      body: garbled,
      cookie: signInStep.cookie,
      message: /names no challenge/,
    },
  ]
  for (const c of cases) {
    const response = await post(app, c.url, c.body, c.cookie ? { cookie: c.cookie } : {})
    refused(t, response, c.message, c.what)
  }
  const shapeless = await post(app, '/login/passkeys/sign-in', { response: { id: 'x' } }, { cookie: signInStep.cookie })
  t.match(shapeless.json(), { statusCode: 400, code: 'LOGIN_ERR_BAD_REQUEST' }, 'a shapeless answer')
})

t.test('a challenge is used once, whatever its verification concludes, and lives five minutes', async t => {
  const step = await options(app, '/login/passkeys/sign-in/options', {})
  const answer = answerNaming(step.options.challenge, 'get')
  const first = await post(app, '/login/passkeys/sign-in', answer, { cookie: step.cookie })
  refused(t, first, /not registered here/, 'a credential this site does not know')
  const again = await post(app, '/login/passkeys/sign-in', answer, { cookie: step.cookie })
  refused(t, again, /already used/, 'the same challenge a second time')

  const late = await options(app, '/login/passkeys/sign-in/options', {})
  clock.advance(301)
  const expired = await post(app, '/login/passkeys/sign-in', answerNaming(late.options.challenge, 'get'), {
    cookie: late.cookie,
  })
  refused(t, expired, /took more than 5 minutes/, 'a challenge older than five minutes')

  const cookie = await signIn('Cy')
  const add = await options(app, '/login/passkeys/add/options', {}, { cookie })
  const unverified = await post(app, '/login/passkeys/add', answerNaming(add.options.challenge, 'create'), {
    cookie: add.cookie,
  })
  refused(t, unverified, /./, 'a registration that does not verify')
  const replayed = await post(app, '/login/passkeys/add', answerNaming(add.options.challenge, 'create'), {
    cookie: add.cookie,
  })
  refused(t, replayed, /already used/, 'is not tried twice')

  const other = await signIn('Dee')
  const asked = await options(app, '/login/passkeys/add/options', {}, { cookie })
  const swapped = await post(app, '/login/passkeys/add', answerNaming(asked.options.challenge, 'create'), {
    cookie: `${other}; ${flowCookie(asked.response.headers['set-cookie'])}`,
  })
  refused(t, swapped, /another account/, "a passkey asked for by Cy, sent in Dee's session")
})

t.test(
  'creating an account with a passkey: what the setting allows, and invitations that cannot be accepted',
  async t => {
    const owner = (await app.ctx.users.findByIdentity('test', 'owner'))!
    const open = await app.ctx.groups.invitations.create(owner.id, openLink('club'))
    const cancelled = await app.ctx.groups.invitations.create(owner.id, openLink('club/old'))
    await app.ctx.groups.removal.cancel(owner.id, [cancelled.id])
    const off = await startApp(t, { passkeySignup: 'off' })
    const everyone = await startApp(t, { passkeySignup: 'open' })
    const cases: { what: string; app: FastifyInstance; body: object; status: number; code?: string }[] = [
      { what: 'invited (the default), through an open invitation', app, body: { invitation: open.code }, status: 200 },
      { what: 'invited, without an invitation', app, body: {}, status: 403, code: 'LOGIN_ERR_FORBIDDEN' },
      {
        what: 'a cancelled invitation',
        app,
        body: { invitation: cancelled.code },
        status: 410,
        code: 'LOGIN_ERR_INVITATION_GONE',
      },
      {
        what: 'no such invitation',
        app,
        body: { invitation: 'x'.repeat(22) },
        status: 404,
        code: 'LOGIN_ERR_NOT_FOUND',
      },
      { what: 'off', app: off.app, body: {}, status: 403, code: 'LOGIN_ERR_FORBIDDEN' },
      { what: 'open, without an invitation', app: everyone.app, body: {}, status: 200 },
      { what: 'a name of spaces', app, body: { invitation: open.code, name: '   ' }, status: 400 },
      { what: 'a name with a control character', app, body: { invitation: open.code, name: 'A\u0007' }, status: 400 },
      {
        what: 'a bad next',
        app: everyone.app,
        body: { next: '//evil.example' },
        status: 400,
        code: 'LOGIN_ERR_BAD_NEXT',
      },
    ]
    for (const c of cases) {
      const response = await post(c.app, '/login/passkeys/sign-up/options', { name: 'Newcomer', ...c.body })
      t.equal(response.statusCode, c.status, c.what)
      if (c.code) t.match(response.json(), { code: c.code }, c.what)
    }

    // The pages offer what the setting allows.
    const page = (a: FastifyInstance, url: string) => a.inject({ url, headers: { accept: 'text/html' } })
    t.match((await page(app, `/login/access/accept/${open.code}`)).body, 'Create an account with a passkey')
    t.notMatch((await page(app, '/login')).body, 'Create an account with a passkey', 'invited: not on /login')
    t.match((await page(everyone.app, '/login')).body, 'Create an account with a passkey', 'open: on /login too')
    const offOwner = await off.app.ctx.groups.tree.ensureNamespace('club', 'test', 'o')
    const offLink = await off.app.ctx.groups.invitations.create(offOwner.owner.id, openLink('club'))
    t.notMatch((await page(off.app, `/login/access/accept/${offLink.code}`)).body, 'Create an account with a passkey')
  },
)

t.test("an account's passkeys: listed, renamed, removed after asking, never the last way in", async t => {
  const cookie = await signIn('Eve')
  const eve = (await app.ctx.users.findByIdentity('test', 'Eve'))!
  const phone = await storedPasskey(app, eve.id, { name: 'Passkey on iPhone', backupEligible: true })
  const list = await app.inject({ url: '/login/passkeys', headers: { cookie } })
  t.match(list.json(), [{ id: phone.id, name: 'Passkey on iPhone', last_used: null, backup_eligible: true }])
  t.notOk('credentialId' in list.json()[0] || 'public_key' in list.json()[0], 'nothing of the key itself')
  const sessions = await app.inject({ url: '/login/view/sessions', headers: { cookie } })
  t.match(sessions.body, new RegExp(`data-passkey-id="${phone.id}"[\\s\\S]*Passkey on iPhone[\\s\\S]*Synced`))
  t.match(sessions.body, 'Add a passkey')

  const renamed = await post(app, `/login/passkeys/${phone.id}/rename`, { name: ' Work  phone ' }, { cookie })
  t.match(renamed.json(), { id: phone.id, name: 'Work phone' })
  const token = await formToken(app, cookie)
  const byForm = await app.inject({
    method: 'POST',
    url: `/login/passkeys/${phone.id}/rename`,
    headers: { ...form, cookie },
    payload: `_csrf=${token}&name=Phone`,
  })
  t.equal(byForm.statusCode, 303, 'a form goes back to the sessions page')
  t.equal(byForm.headers.location, '/login/view/sessions')
  t.equal((await app.inject({ url: `/login/passkeys/${phone.id}`, headers: { cookie } })).json().name, 'Phone')
  const bad = await post(app, `/login/passkeys/${phone.id}/rename`, { name: '' }, { cookie })
  t.match(bad.json(), { code: 'LOGIN_ERR_BAD_REQUEST' })

  // Someone else's passkey is nobody's business.
  const mallory = await signIn('Mallory')
  for (const [method, url] of [
    ['GET', `/login/passkeys/${phone.id}`],
    ['GET', `/login/view/passkeys/${phone.id}`],
    ['POST', `/login/passkeys/${phone.id}/rename`],
    ['POST', `/login/passkeys/${phone.id}/remove`],
  ] as const) {
    const response = await app.inject({ method, url, headers: { ...json, cookie: mallory }, payload: '{"name":"x"}' })
    t.equal(response.statusCode, 404, `${method} ${url} by another`)
    t.match(response.body, 'LOGIN_ERR_NOT_FOUND')
  }

  // Removing asks first; with the provider still linked, the passkey may go.
  const confirm = await app.inject({ url: `/login/view/passkeys/${phone.id}`, headers: { cookie } })
  t.match(confirm.body, 'id="remove-passkey-form"')
  t.equal((await app.inject({ url: '/login/passkeys', headers: { cookie } })).json().length, 1, 'nothing yet')
  const removed = await app.inject({
    method: 'POST',
    url: `/login/passkeys/${phone.id}/remove`,
    headers: { ...form, cookie },
    payload: `_csrf=${token}`,
  })
  t.equal(removed.statusCode, 303)
  t.same((await app.inject({ url: '/login/passkeys', headers: { cookie } })).json(), [])

  // An account made with a passkey alone cannot lose it: the page says why, and a post is refused.
  const { user, passkey } = await passkeyAccount(app, 'Fay')
  const fay = await passkeySession(app, user)
  const last = await app.inject({ url: `/login/view/passkeys/${passkey.id}`, headers: { cookie: fay } })
  t.match(last.body, /id="last-method">This passkey is your only way to sign in/)
  t.notMatch(last.body, 'remove-passkey-form')
  const refusal = await post(app, `/login/passkeys/${passkey.id}/remove`, {}, { cookie: fay })
  t.match(refusal.json(), { statusCode: 409, code: 'LOGIN_ERR_CONFLICT', message: /only way to sign in/ })
  const asPage = await app.inject({
    method: 'POST',
    url: `/login/passkeys/${passkey.id}/remove`,
    headers: { ...form, accept: 'text/html', cookie: fay },
    payload: `_csrf=${await formToken(app, fay)}`,
  })
  t.equal(asPage.statusCode, 409)
  t.match(asPage.body, /only way to sign in: add a passkey or link a provider/, 'the error page says why')
  t.equal((await app.inject({ url: '/login/passkeys', headers: { cookie: fay } })).json().length, 1, 'still there')

  // With a second passkey, either may go.
  const second = await storedPasskey(app, user.id, { name: 'Key' })
  t.equal((await post(app, `/login/passkeys/${passkey.id}/remove`, {}, { cookie: fay })).statusCode, 200)
  const lastAgain = await post(app, `/login/passkeys/${second.id}/remove`, {}, { cookie: fay })
  t.match(lastAgain.json(), { code: 'LOGIN_ERR_CONFLICT' }, 'but not the one left')
})

t.test('a provider may be unlinked while a passkey remains; the last way in never goes', async t => {
  const cookie = await signIn('Gus')
  const gus = (await app.ctx.users.findByIdentity('test', 'Gus'))!
  const unlink = () => post(app, '/login/unlink', { provider: 'test', id: 'Gus' }, { cookie })
  const alone = await unlink()
  t.match(alone.json(), { statusCode: 409, code: 'LOGIN_ERR_CONFLICT', message: /only way to sign in/ })
  const passkey = await storedPasskey(app, gus.id)
  const page = await app.inject({ url: '/login/view/sessions', headers: { cookie } })
  t.match(page.body, 'Unlink Test account', 'with a passkey, the provider can be unlinked from the page')
  t.equal((await unlink()).statusCode, 200)
  t.same(await app.ctx.users.identities(gus.id), [])
  const kept = await post(app, `/login/passkeys/${passkey.id}/remove`, {}, { cookie })
  t.match(kept.json(), { code: 'LOGIN_ERR_CONFLICT' }, 'and then the passkey is the last way in')
})

t.test('the sessions page and its JSON say how each session began', async t => {
  const { user } = await passkeyAccount(app, 'Hal')
  const cookie = await passkeySession(app, user)
  const listed = await app.inject({ url: '/login/sessions', headers: { cookie } })
  t.match(listed.json(), [{ method: 'passkey', current: true }])
  const page = await app.inject({ url: '/login/view/sessions', headers: { cookie } })
  t.match(page.body, /<dt>Signed in with<\/dt><dd data-method="passkey">Passkey<\/dd>/)
  const provider = await app.inject({ url: '/login/view/sessions', headers: { cookie: ownerCookie } })
  t.match(provider.body, /<dd data-method="test">Test account<\/dd>/)
})

t.test('deleting an account removes its passkeys, so they sign in to nothing', async t => {
  const { user, passkey } = await passkeyAccount(app, 'Ivy')
  const cookie = await passkeySession(app, user)
  const deleted = await post(app, '/login/delete', {}, { cookie })
  t.match(deleted.json(), { deleted: user.id })
  t.equal(await app.ctx.passkeys.passkeys.list(user.id).then(list => list.length), 0)
  const step = await options(app, '/login/passkeys/sign-in/options', {})
  const answer = answerNaming(step.options.challenge, 'get')
  answer.response.id = answer.response.rawId = passkey.credentialId
  refused(
    t,
    await post(app, '/login/passkeys/sign-in', answer, { cookie: step.cookie }),
    /not registered here/,
    'its credential is unknown now',
  )
})

t.test('cross-site requests and token-less forms are refused on every passkey route', async t => {
  const cookie = await signIn('Jo')
  const jo = (await app.ctx.users.findByIdentity('test', 'Jo'))!
  const passkey = await storedPasskey(app, jo.id)
  const answer = answerNaming('c', 'get')
  const routes: [string, object][] = [
    ['/login/passkeys/sign-in/options', {}],
    ['/login/passkeys/sign-in', answer],
    ['/login/passkeys/add/options', {}],
    ['/login/passkeys/add', answer],
    ['/login/passkeys/sign-up/options', { name: 'x' }],
    ['/login/passkeys/sign-up', answer],
    [`/login/passkeys/${passkey.id}/rename`, { name: 'x' }],
    [`/login/passkeys/${passkey.id}/remove`, {}],
  ]
  for (const [url, body] of routes) {
    const crossSite = await post(app, url, body, { cookie, 'sec-fetch-site': 'cross-site' })
    t.match(crossSite.json(), { code: 'LOGIN_ERR_CSRF' }, `${url}: from another site`)
    const foreignOrigin = await post(app, url, body, { cookie, origin: 'https://evil.example' })
    t.match(foreignOrigin.json(), { code: 'LOGIN_ERR_CSRF' }, `${url}: another origin`)
    const simple = await app.inject({
      method: 'POST',
      url,
      headers: { ...form, cookie, 'sec-fetch-site': 'same-site', origin: 'http://app.localhost' },
      payload: 'name=x',
    })
    // An answer is a nested object, which no form can send: refused by its shape before the token is looked at.
    const expected = 'response' in body ? 'LOGIN_ERR_BAD_REQUEST' : 'LOGIN_ERR_CSRF'
    t.match(simple.json(), { code: expected }, `${url}: a form from a sibling without the token`)
  }
  t.equal((await app.ctx.passkeys.passkeys.get(jo.id, passkey.id)).name, passkey.name, 'nothing changed')
})

t.test('the ceremonies are rate limited by client address, like sign-in starts', async t => {
  const limited = await startApp(t, { rateLimit: 2, passkeySignup: 'open' })
  const cookie = await limited.signIn('Kit')
  for (const url of [
    '/login/passkeys/sign-in/options',
    '/login/passkeys/sign-in',
    '/login/passkeys/add/options',
    '/login/passkeys/sign-up/options',
    '/login/passkeys/sign-up',
  ]) {
    for (let i = 0; i < 2; i++)
      t.not((await post(limited.app, url, { name: 'Kit' }, { cookie })).statusCode, 429, `${url}: try ${i + 1}`)
    const third = await post(limited.app, url, { name: 'Kit' }, { cookie })
    t.match(third.json(), { statusCode: 429, code: 'LOGIN_ERR_RATE_LIMITED' }, `${url}: then refused`)
  }
})
