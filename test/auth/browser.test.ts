import t from 'tap'
import { decodeJwt } from 'jose'
import type { BrowserContext } from 'playwright-core'
import { serveApp } from '../helpers/app.js'
import { launchBrowser, PAGE_TIMEOUT_MS } from '../helpers/browser.js'

async function leaseOf(context: BrowserContext, base: string) {
  return (await context.cookies(base)).find(c => c.name === 'login')
}

const browser = await launchBrowser(t)

t.test(
  "sign in with the test form, land on next, revoke another browser's session from the sessions view",
  { skip: typeof browser === 'string' ? browser : false },
  async t => {
    if (typeof browser === 'string') return
    const { base } = await serveApp(t)
    const first = await browser.newContext({ userAgent: 'First Browser/1.0' })
    const second = await browser.newContext({ userAgent: 'Second Browser/2.0' })
    t.teardown(async () => {
      await first.close()
      await second.close()
    })
    const page = await first.newPage()
    const other = await second.newPage()
    for (const p of [page, other]) p.setDefaultTimeout(PAGE_TIMEOUT_MS)

    // First browser: the sign-in page, the test provider's form, then back to next.
    await page.goto(`${base}/login?next=${encodeURIComponent('/login/me?from=browser')}`)
    t.equal(await page.title(), 'Sign in')
    await page.click('a[data-provider="test"]')
    t.match(page.url(), `${base}/login/test?next=`)
    await page.fill('input[name="who"]', 'Zoë Browser')
    await Promise.all([page.waitForURL(`${base}/login/me?from=browser`), page.click('button[type="submit"]')])
    t.match(JSON.parse(await page.innerText('body')), { name: 'Zoë Browser', id: String }, 'landed on next, signed in')

    const lease = await leaseOf(first, base)
    t.match(
      lease,
      { httpOnly: true, sameSite: 'Lax', secure: false, path: '/' },
      'the lease cookie: HttpOnly, SameSite=Lax',
    )
    t.equal(await page.evaluate(() => document.cookie), '', 'and out of reach of page scripts')

    // Second browser: the same person signs in elsewhere.
    await other.goto(`${base}/login/test?next=${encodeURIComponent('/login/view/sessions')}`)
    await other.fill('input[name="who"]', 'Zoë Browser')
    await Promise.all([other.waitForURL(`${base}/login/view/sessions`), other.click('button[type="submit"]')])
    const otherSid = decodeJwt((await leaseOf(second, base))!.value).sid as string
    const ownSid = decodeJwt(lease!.value).sid as string

    // First browser: the sessions view lists both; revoke the other one.
    await page.goto(`${base}/login/view/sessions`)
    t.equal(await page.title(), 'Your sessions')
    t.same(
      (await page.locator('#sessions tbody tr').evaluateAll(rows => rows.map(r => r.getAttribute('data-sid')))).sort(),
      [ownSid, otherSid].sort(),
      'both sessions are listed',
    )
    t.match(await page.innerText(`tr[data-sid="${ownSid}"]`), /this device/)
    t.match(await page.innerText(`tr[data-sid="${otherSid}"]`), /Second Browser\/2\.0/)
    await Promise.all([
      page.waitForResponse(r => r.url() === `${base}/login/view/sessions` && r.status() === 200),
      page.click(`tr[data-sid="${otherSid}"] button[type="submit"]`),
    ])
    t.equal(page.url(), `${base}/login/view/sessions`, 'back on the sessions view')
    t.equal(await page.locator(`tr[data-sid="${otherSid}"]`).count(), 0, 'the revoked session is gone')
    t.equal(await page.locator('#sessions tbody tr').count(), 1)

    // Second browser: signed out on its next request.
    await other.goto(`${base}/login/view/sessions`)
    t.match(other.url(), `${base}/login?next=`, 'sent to sign in again')
    t.equal(await other.locator('a[data-provider="test"]').count(), 1)
    t.equal(await leaseOf(second, base), undefined, 'its cookie was cleared')
    t.equal((await second.request.get(`${base}/login/check`)).status(), 401)

    // First browser: still signed in; its own Sign out button ends it.
    t.equal((await first.request.get(`${base}/login/check`)).status(), 200, 'the first browser is untouched')
    await Promise.all([page.waitForURL(`${base}/login`), page.click('header button[type="submit"]')])
    t.equal(await leaseOf(first, base), undefined, 'signing out clears the cookie')
    t.equal((await first.request.get(`${base}/login/check`)).status(), 401)
  },
)
