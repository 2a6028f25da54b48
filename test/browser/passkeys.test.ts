// Passkeys in a real browser: Chromium's virtual authenticator makes and signs every credential, the page's own
// script runs the ceremonies. Added from the sessions page on a desktop, then used on a 390 px phone with the
// button and with the browser's autofill; each lands on `next` with a session that says it began with a passkey.
import t from 'tap'
import type { Page } from 'playwright-core'
import { browserTests } from '../helpers/browser.js'
import { credentialIdOf, VirtualAuthenticator, type StoredCredential } from './authenticator.js'
import {
  AGENTS,
  checkPage,
  cspRefusals,
  newContext,
  newPage,
  screenshot,
  servePasskeyPages,
  signInto,
  summary,
  type PageReport,
} from './support.js'

const browserTest = await browserTests(t)

/** The JSON of `/login/me` as the page shows it: who the browser is signed in as. */
async function signedInAs(page: Page): Promise<{ id: string; name: string }> {
  return JSON.parse(await page.innerText('body')) as { id: string; name: string }
}

browserTest(
  'a passkey added from the sessions page signs in with the button and with autofill, landing on next',
  async (t, browser) => {
    const served = await servePasskeyPages(t)
    const { app, base } = served
    const reports: PageReport[] = []

    // A desktop: signed in with a provider, Ada adds a passkey.
    const laptop = await newContext(t, browser, 'desktop', AGENTS.chromeLinux)
    await signInto(laptop, served, 'Ada', AGENTS.chromeLinux)
    const ada = (await app.ctx.users.findByIdentity('test', 'Ada'))!
    const page = await newPage(laptop)
    const laptopKeys = await VirtualAuthenticator.on(page)
    await page.goto(`${base}/login/view/sessions`)
    t.equal(await page.locator('#no-passkeys').count(), 1, 'no passkey yet')
    await Promise.all([page.waitForURL(`${base}/login/view/sessions`), page.click('button[data-passkey-add]')])
    await page.waitForSelector('#notice')
    t.equal(await page.innerText('#notice'), 'Added Passkey on Linux: it signs in to this account.')
    t.same(
      await page.locator('#passkeys .passkey-name').allInnerTexts(),
      ['Passkey on Linux'],
      'named after the device',
    )
    t.match(await page.innerText('#passkeys li'), /This device only[\s\S]*Added[\s\S]*Last used\s*Not yet/)
    const [credential] = await laptopKeys.credentials()
    t.match(
      credential,
      { rpId: 'localhost', isResidentCredential: true, userHandle: Buffer.from(ada.id).toString('base64') },
      'a discoverable passkey for localhost, its user handle the account',
    )
    t.same(
      (await app.ctx.passkeys.passkeys.list(ada.id)).map(p => p.credentialId),
      [credentialIdOf(credential!)],
      'the server keeps the one the browser made',
    )
    reports.push(await checkPage(t, page, 'sessions with a passkey'))

    // Adding it again on the same device: the browser refuses (the server listed it to exclude), the page says so.
    await page.click('button[data-passkey-add]')
    await page.waitForSelector('#add-passkey [data-passkey-error]:not([hidden])')
    t.equal(
      await page.innerText('#add-passkey [data-passkey-error]'),
      'This device already holds a passkey for this account.',
    )
    t.equal((await app.ctx.passkeys.passkeys.list(ada.id)).length, 1)

    // Signing out of the provider's session: /login opens with the passkey there, and the browser's autofill
    // signs Ada in again at once (a real browser offers it in the field), to `next` (the site's root here).
    const providerSid = (await app.ctx.sessions.list(ada.id)).find(s => s.provider === 'test')!.sid
    await Promise.all([page.waitForURL(`${base}/login`), page.click('#sign-out')])
    await page.waitForURL(`${base}/login/view/sessions`)
    t.match(
      await page.innerText('#sessions li.current'),
      /Signed in with\s*Passkey/,
      'signed in again, with the passkey',
    )
    t.notOk(
      (await app.ctx.sessions.list(ada.id)).some(s => s.sid === providerSid),
      'the session signed out stays signed out',
    )

    // Ada's phone: the sign-in page is open before the passkey is there, so that only the button signs in.
    const phone = await newContext(t, browser, 'phone', AGENTS.safariIphone)
    const phonePage = await newPage(phone)
    const next = '/login/me?via=button'
    await phonePage.goto(`${base}/login?next=${encodeURIComponent(next)}`)
    await phonePage.waitForSelector('#passkey-sign-in:not([hidden])')
    reports.push(await checkPage(t, phonePage, 'sign-in with a passkey'))
    await screenshot(phonePage, 'passkey-sign-in', 'phone')
    const phoneKeys = await VirtualAuthenticator.on(phonePage)
    await phoneKeys.add(await copyOf(laptopKeys))
    await Promise.all([
      phonePage.waitForURL(`${base}${next}`),
      phonePage.click('#passkey-sign-in button[type="submit"]'),
    ])
    t.match(await signedInAs(phonePage), { id: ada.id, name: 'Ada' }, 'the button: signed in as Ada, on next')
    t.match(
      (await app.ctx.sessions.list(ada.id)).find(s => s.provider === 'passkey'),
      { amr: 'user hwk' },
      'a passkey session, of a passkey that is not synced: hwk',
    )

    // The sessions page on the phone says how it signed in, and when the passkey was last used.
    await phonePage.goto(`${base}/login/view/sessions`)
    t.match(await phonePage.innerText('#sessions li.current'), /Signed in with\s*Passkey/)
    t.notMatch(await phonePage.innerText('#passkeys li'), /Not yet/, 'last used is now known')
    reports.push(await checkPage(t, phonePage, 'sessions, signed in with a passkey'))

    // Another phone holding the same passkey, already there when /login opens: autofill signs in, nothing pressed.
    const other = await newContext(t, browser, 'phone', AGENTS.chromeAndroid)
    const otherPage = await newPage(other)
    const otherKeys = await VirtualAuthenticator.on(otherPage)
    await otherKeys.add(await copyOf(phoneKeys))
    const autofilled = '/login/me?via=autofill'
    await Promise.all([
      otherPage.waitForURL(`${base}${autofilled}`),
      otherPage.goto(`${base}/login?next=${encodeURIComponent(autofilled)}`),
    ])
    t.match(await signedInAs(otherPage), { id: ada.id }, 'autofill: signed in as Ada, on next')
    t.equal(
      (await app.ctx.sessions.list(ada.id)).filter(s => s.provider === 'passkey').length,
      3,
      'three passkey sessions: the laptop, the phone, the other phone',
    )

    // The laptop's copy of the passkey was last used before the phones': its signature counter is behind. Signed out,
    // its autofill is refused as a possible clone, and the page says why.
    await Promise.all([page.waitForURL(`${base}/login`), page.click('#sign-out')])
    await page.waitForSelector('#passkey-sign-in [data-passkey-error]:not([hidden])')
    t.match(
      await page.innerText('#passkey-sign-in [data-passkey-error]'),
      /counter/i,
      'refused: a counter that went back',
    )
    t.equal((await laptop.request.get(`${base}/login/check`)).status(), 401, 'and signed out')
    t.same(
      [...cspRefusals(page), ...cspRefusals(phonePage), ...cspRefusals(otherPage)],
      [],
      'nothing refused by the CSP',
    )
    t.comment(summary(reports))
  },
)

browserTest(
  'the sign-in page offers passkeys and axe finds nothing serious at 390 px and on a desktop',
  async (t, browser) => {
    const served = await servePasskeyPages(t, { passkeySignup: 'open' })
    const reports: PageReport[] = []
    for (const size of ['phone', 'desktop'] as const) {
      const page = await newPage(await newContext(t, browser, size))
      await page.goto(`${served.base}/login`)
      await page.waitForSelector('#passkey-sign-up:not([hidden])')
      t.equal(await page.getAttribute('#passkey-account', 'autocomplete'), 'username webauthn', 'the autofill field')
      t.ok(await page.isVisible('#passkey-sign-in button'), 'Sign in with a passkey')
      t.ok(await page.isVisible('#passkey-sign-up button'), 'open sign-up: Create an account with a passkey')
      reports.push(await checkPage(t, page, `sign-in page (${size})`))
    }
    t.comment(summary(reports))
  },
)

/** What another device holding the same passkey would have: the credential as it is now (its counter included). */
async function copyOf(from: VirtualAuthenticator): Promise<StoredCredential> {
  const [credential] = await from.credentials()
  return credential!
}
