// Someone with no account at all opens an invitation on a phone, types their name, makes a passkey with Chromium's
// virtual authenticator, and is signed in and joined in one step; the invitation's one place is counted once, the
// passkey signs in again later, it cannot be removed while it is the only way in, and a second newcomer racing for
// the same place is refused without an account being created. A passkey the server refuses consumes nothing.
import t from 'tap'
import { browserTests } from '../helpers/browser.js'
import { openLink } from '../helpers/invitations.js'
import { credentialIdOf, VirtualAuthenticator } from './authenticator.js'
import {
  AGENTS,
  checkPage,
  cspRefusals,
  newContext,
  newPage,
  screenshot,
  servePasskeyPages,
  summary,
  type PageReport,
} from './support.js'

const browserTest = await browserTests(t)

browserTest('an invitation opened signed out on a phone makes an account with a passkey', async (t, browser) => {
  const served = await servePasskeyPages(t)
  const { app, base } = served
  const { groups, users, passkeys } = app.ctx
  const { owner } = await groups.tree.ensureNamespace('club', 'test', 'owner')
  const link = await groups.invitations.create(owner.id, openLink('club/room', { invitees: 1 }))
  const url = `${base}/login/access/accept/${link.code}`
  const reports: PageReport[] = []

  // Someone whose device answers without verifying them: the server refuses the passkey, and nothing is consumed.
  const unverified = await newPage(await newContext(t, browser, 'phone', AGENTS.chromeAndroid))
  await (await VirtualAuthenticator.on(unverified)).spoil({ isBadUV: true })
  await unverified.goto(url)
  await unverified.fill('#sign-up-name', 'Unverified')
  await unverified.click('#passkey-sign-up button[type="submit"]')
  await unverified.waitForSelector('#passkey-sign-up [data-passkey-error]:not([hidden])')
  t.match(await unverified.innerText('#passkey-sign-up [data-passkey-error]'), /Passkey refused: .*verif/i)
  t.equal((await groups.invitations.describe(link.code, null)).placesLeft, 1, 'a failed passkey step consumes nothing')
  t.equal((await unverified.context().request.get(`${base}/login/check`)).status(), 401, 'nobody signed in')

  // The second newcomer gets as far as making a passkey; their last step waits until the first has joined.
  const late = await newPage(await newContext(t, browser, 'phone', AGENTS.chromeAndroid))
  const lateKeys = await VirtualAuthenticator.on(late)
  let release!: () => void
  const held = new Promise<void>(resolve => (release = resolve))
  let reached!: () => void
  const waiting = new Promise<void>(resolve => (reached = resolve))
  await late.route('**/login/passkeys/sign-up', async route => {
    reached()
    await held
    await route.continue()
  })
  await late.goto(url)
  await late.fill('#sign-up-name', 'Second')
  await late.click('#passkey-sign-up button[type="submit"]')
  await waiting

  // The newcomer: who invites them to what, and the passkey form beside the providers.
  const phone = await newContext(t, browser, 'phone', AGENTS.safariIphone)
  const page = await newPage(phone)
  const keys = await VirtualAuthenticator.on(page)
  await page.goto(url)
  t.equal(await page.title(), 'You are invited')
  await page.waitForSelector('#passkey-sign-up:not([hidden])')
  t.equal(await page.innerText('#invitation'), 'owner invites you to join club/room.')
  await page.fill('#sign-up-name', 'Zoë Newcomer')
  reports.push(await checkPage(t, page, 'invitation with passkey sign-up'))
  await screenshot(page, 'passkey-sign-up', 'phone')
  await Promise.all([
    page.waitForURL(`${base}/login/access/view/groups`),
    page.click('#passkey-sign-up button[type="submit"]'),
  ])
  t.equal(await page.innerText('#notice'), 'Welcome, Zoë Newcomer: you joined club/room.')
  t.equal(await page.innerText('#signed-in-as'), 'Zoë Newcomer')
  t.equal(await page.locator('#memberships tr[data-path="club/room"]').count(), 1, 'joined')
  t.equal((await phone.request.get(`${base}/login/check?group=club%2Froom`)).status(), 200, 'a member, signed in')

  const [credential] = await keys.credentials()
  const newcomer = Buffer.from(credential!.userHandle!, 'base64').toString()
  t.same(await users.get(newcomer), { id: newcomer, name: 'Zoë Newcomer', picture: '' }, 'the account, as typed')
  t.same(await users.identities(newcomer), [], 'with no provider identity')
  t.match(await passkeys.passkeys.list(newcomer), [
    { credentialId: credentialIdOf(credential!), name: 'Passkey on iPhone' },
  ])
  const described = await groups.invitations.describe(link.code, null)
  t.equal(described.placesLeft, 0, 'the one place is taken')
  t.equal(described.invitations[0]!.invitees, 0, 'counted once')

  // The second newcomer's last step, now: refused as any acceptance would be, and no account is left behind.
  release()
  await late.waitForSelector('#passkey-sign-up [data-passkey-error]:not([hidden])')
  t.match(await late.innerText('#passkey-sign-up [data-passkey-error]'), /used up|no places left/)
  const [lateCredential] = await lateKeys.credentials()
  t.ok(lateCredential, "the second newcomer's device did make a passkey")
  t.equal(await users.get(Buffer.from(lateCredential!.userHandle!, 'base64').toString()), undefined, 'no account')
  t.equal(
    await passkeys.passkeys.list(Buffer.from(lateCredential!.userHandle!, 'base64').toString()).then(l => l.length),
    0,
  )
  t.equal((await late.context().request.get(`${base}/login/check`)).status(), 401, 'and not signed in')

  // The passkey is the account's only way in: the page says why it cannot be removed, and the server refuses.
  await page.goto(`${base}/login/view/sessions`)
  t.match(await page.innerText('#sessions li.current'), /Signed in with\s*Passkey/)
  await Promise.all([page.waitForURL(/\/login\/view\/passkeys\//), page.click('#passkeys a:text("Remove…")')])
  t.match(await page.innerText('#last-method'), /only way to sign in, so it cannot be removed/)
  reports.push(await checkPage(t, page, 'the last passkey'))
  const id = (await passkeys.passkeys.list(newcomer))[0]!.id
  const refused = await phone.request.post(`${base}/login/passkeys/${id}/remove`, { data: {} })
  t.equal(refused.status(), 409)
  t.match(await refused.json(), { code: 'LOGIN_ERR_CONFLICT' })

  // Signed out, the same passkey signs in again (autofill: it is there when /login opens).
  await phone.request.post(`${base}/login/logout`)
  t.equal((await phone.request.get(`${base}/login/check`)).status(), 401, 'signed out')
  await Promise.all([
    page.waitForURL(`${base}/login/me`),
    page.goto(`${base}/login?next=${encodeURIComponent('/login/me')}`),
  ])
  t.match(JSON.parse(await page.innerText('body')), { id: newcomer, name: 'Zoë Newcomer' }, 'the same account')
  t.same([...cspRefusals(page), ...cspRefusals(late), ...cspRefusals(unverified)], [], 'nothing refused by the CSP')
  t.comment(summary(reports))
})

browserTest('the invitation page with its passkey sign-up passes axe on a desktop too', async (t, browser) => {
  const served = await servePasskeyPages(t)
  const { owner } = await served.app.ctx.groups.tree.ensureNamespace('club', 'test', 'owner')
  const link = await served.app.ctx.groups.invitations.create(owner.id, openLink('club'))
  const page = await newPage(await newContext(t, browser, 'desktop'))
  await page.goto(`${served.base}/login/access/accept/${link.code}`)
  await page.waitForSelector('#passkey-sign-up:not([hidden])')
  t.comment(summary([await checkPage(t, page, 'invitation with passkey sign-up (desktop)')]))
})
