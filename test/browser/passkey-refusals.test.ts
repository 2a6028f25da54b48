// Passkey sign-ins the server refuses, each made by Chromium's virtual authenticator and the page's own script:
// an answer sent again, a challenge older than five minutes, a passkey removed from the account, a signature
// spoiled by the authenticator, an answer made on a page of another origin, and a passkey presented under another
// account's user handle. Each refusal says why on the page (or in the JSON), and signs nobody in.
import t, { type Test } from 'tap'
import { createServer } from 'node:http'
import type { BrowserContext, Page } from 'playwright-core'
import { browserTests } from '../helpers/browser.js'
import { freePort } from '../helpers/app.js'
import { VirtualAuthenticator, type StoredCredential } from './authenticator.js'
import { AGENTS, cspRefusals, newContext, newPage, servePasskeyPages, signInto } from './support.js'

const browserTest = await browserTests(t)

browserTest(
  'refused: replayed, expired, removed, spoiled, from another origin, under another user',
  async (t, browser) => {
    const served = await servePasskeyPages(t)
    const { app, base, clock } = served
    const next = '/login/me'

    /** Signs `who` in with the provider and adds a passkey from the sessions page; answers their credential. */
    const enrol = async (who: string): Promise<StoredCredential> => {
      const context = await newContext(t, browser, 'desktop', AGENTS.chromeLinux)
      await signInto(context, served, who, AGENTS.chromeLinux)
      const page = await newPage(context)
      const keys = await VirtualAuthenticator.on(page)
      await page.goto(`${base}/login/view/sessions`)
      await Promise.all([page.waitForSelector('#notice'), page.click('button[data-passkey-add]')])
      return (await keys.credentials())[0]!
    }
    const ada = await enrol('Ada')
    const bob = await enrol('Bob')
    const adaId = (await app.ctx.users.findByIdentity('test', 'Ada'))!.id

    // Each attempt is a device of its own holding a copy; copies count on from far ahead, so that no refusal below
    // is the counter's (the counter has its own test in passkeys.test.ts).
    let ahead = 0
    const device = async (credential: StoredCredential, spoil = false) => {
      const context = await newContext(t, browser, 'phone')
      const page = await newPage(context)
      const keys = await VirtualAuthenticator.on(page)
      await keys.add({ ...credential, signCount: (ahead += 100) })
      if (spoil) await keys.spoil({ isBogusSignature: true })
      return { context, page }
    }
    /** Opens /login with the passkey there (autofill answers at once) and answers what the page then says. */
    const refusal = async (t: Test, page: Page, context: BrowserContext) => {
      await page.goto(`${base}/login?next=${encodeURIComponent(next)}`)
      await page.waitForSelector('#passkey-sign-in [data-passkey-error]:not([hidden])')
      t.equal((await context.request.get(`${base}/login/check`)).status(), 401, 'nobody is signed in')
      return page.innerText('#passkey-sign-in [data-passkey-error]')
    }

    await t.test('an answer sent a second time', async t => {
      const { context, page } = await device(ada)
      let answer: string | null = null
      await page.route('**/login/passkeys/sign-in', async route => {
        answer = route.request().postData()
        await route.continue()
      })
      await Promise.all([
        page.waitForURL(`${base}${next}`),
        page.goto(`${base}/login?next=${encodeURIComponent(next)}`),
      ])
      t.ok(answer, 'the first time signs in')
      const again = await context.request.post(`${base}/login/passkeys/sign-in`, {
        headers: { 'content-type': 'application/json' },
        data: answer!,
      })
      t.equal(again.status(), 400)
      t.match(await again.json(), { code: 'LOGIN_ERR_PASSKEY', message: /already used/ })
    })

    await t.test('a challenge answered after more than five minutes', async t => {
      const { context, page } = await device(ada)
      await page.route('**/login/passkeys/sign-in', async route => {
        clock.advance(301)
        await route.continue()
      })
      t.match(await refusal(t, page, context), /took more than 5 minutes/)
    })

    await t.test('a spoiled signature', async t => {
      const { context, page } = await device(ada, true)
      t.match(await refusal(t, page, context), /Passkey refused: the passkey's answer does not verify/)
    })

    await t.test("another account's passkey under this account's user handle", async t => {
      const forged = { ...ada, userHandle: bob.userHandle }
      const { context, page } = await device(forged)
      t.match(await refusal(t, page, context), /belongs to another account/)
      t.equal(
        (await app.ctx.sessions.list((await app.ctx.users.findByIdentity('test', 'Bob'))!.id)).filter(
          s => s.provider === 'passkey',
        ).length,
        0,
        'Bob was not signed in',
      )
    })

    await t.test('an answer made on a page of another origin (on the same site)', async t => {
      const elsewhere = createServer((_request, response) => {
        response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>elsewhere</title>')
      })
      const port = await freePort()
      await new Promise<void>(resolve => elsewhere.listen(port, '127.0.0.1', resolve))
      t.teardown(() => new Promise(resolve => elsewhere.close(resolve)))
      const { page } = await device(ada)
      await page.goto(`http://localhost:${port}/`)
      const options = await fetch(`${base}/login/passkeys/sign-in/options`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      })
      const flow = options.headers.getSetCookie()[0]!.split(';')[0]!
      const answer = await page.evaluate(
        async json => {
          const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(json)
          return ((await navigator.credentials.get({ publicKey })) as PublicKeyCredential).toJSON()
        },
        await options.json(),
      )
      const refused = await fetch(`${base}/login/passkeys/sign-in`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: flow },
        body: JSON.stringify({ response: answer }),
      })
      t.match(await refused.json(), {
        code: 'LOGIN_ERR_PASSKEY',
        message: new RegExp(`origin "http://localhost:${port}", expected`),
      })
      t.equal(refused.headers.get('set-cookie')?.includes('login='), undefined, 'no lease is set')
    })

    await t.test('a passkey removed from the account (asked first) still on the device', async t => {
      const context = await newContext(t, browser, 'desktop', AGENTS.chromeLinux)
      await signInto(context, served, 'Ada', AGENTS.chromeLinux)
      const page = await newPage(context)
      await page.goto(`${base}/login/view/sessions`)
      await Promise.all([page.waitForURL(/\/login\/view\/passkeys\//), page.click('#passkeys a:text("Remove…")')])
      t.equal(await app.ctx.passkeys.passkeys.list(adaId).then(l => l.length), 1, 'nothing removed before confirming')
      await Promise.all([
        page.waitForURL(`${base}/login/view/sessions`),
        page.click('#remove-passkey-form button[type="submit"]'),
      ])
      t.match(await page.innerText('#notice'), /^Removed Passkey on Linux\./)
      t.equal(await page.locator('#no-passkeys').count(), 1)
      const removed = await device(ada)
      t.match(await refusal(t, removed.page, removed.context), /not registered here \(was it removed\?\)/)
      t.same(cspRefusals(page), [])
    })
  },
)
