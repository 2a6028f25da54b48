import t from 'tap'
import { decodeJwt } from 'jose'
import type { BrowserContext, Page } from 'playwright-core'
import { browserTests } from '../helpers/browser.js'
import { AGENTS, cspRefusals, newContext, newPage, servePages } from './support.js'

async function leaseOf(context: BrowserContext, base: string) {
  return (await context.cookies(base)).find(c => c.name === 'login')
}

/** Signs in through the test provider's form and lands on `next`. */
async function signInWithForm(page: Page, base: string, who: string, next: string) {
  await page.goto(`${base}/login/test?next=${encodeURIComponent(next)}`)
  await page.fill('input[name="who"]', who)
  await Promise.all([page.waitForURL(`${base}${next}`), page.click('main button[type="submit"]')])
}

const browserTest = await browserTests(t)

browserTest(
  'sign in, then sign another device out from the sessions page: it says so, and that device is signed out',
  async (t, browser) => {
    const { base } = await servePages(t)
    const laptop = await newContext(t, browser, 'desktop', AGENTS.chromeLinux)
    const phone = await newContext(t, browser, 'phone', AGENTS.safariIphone)
    const page = await newPage(laptop)
    const other = await newPage(phone)

    // The laptop: the sign-in page, the test provider's form, then back to next.
    await page.goto(`${base}/login?next=${encodeURIComponent('/login/me?from=browser')}`)
    t.equal(await page.title(), 'Sign in')
    await page.click('a[data-provider="test"]')
    t.match(page.url(), `${base}/login/test?next=`)
    await page.fill('input[name="who"]', 'Zoë Browser')
    await Promise.all([page.waitForURL(`${base}/login/me?from=browser`), page.click('main button[type="submit"]')])
    t.match(JSON.parse(await page.innerText('body')), { name: 'Zoë Browser', id: String }, 'landed on next, signed in')

    const lease = await leaseOf(laptop, base)
    t.match(
      lease,
      { httpOnly: true, sameSite: 'Lax', secure: false, path: '/' },
      'the lease cookie: HttpOnly, SameSite=Lax',
    )
    t.equal(await page.evaluate(() => document.cookie), '', 'and out of reach of page scripts')

    // The phone: the same person signs in there too.
    await signInWithForm(other, base, 'Zoë Browser', '/login/view/sessions')
    const phoneSid = decodeJwt((await leaseOf(phone, base))!.value).sid as string
    const laptopSid = decodeJwt(lease!.value).sid as string

    // The laptop: this device first and marked, the phone named; sign the phone out.
    await page.goto(`${base}/login/view/sessions`)
    t.equal(await page.title(), 'Your sessions')
    t.same(
      await page.locator('#sessions > li').evaluateAll(items => items.map(i => i.getAttribute('data-sid'))),
      [laptopSid, phoneSid],
      'both sessions are listed, this device first',
    )
    t.match(await page.innerText(`li[data-sid="${laptopSid}"]`), /Chrome on Linux\s*This device/)
    t.match(await page.innerText(`li[data-sid="${phoneSid}"] .device`), 'Safari on iPhone')
    await Promise.all([
      page.waitForURL(`${base}/login/view/sessions`),
      page.click(`li[data-sid="${phoneSid}"] button:text("Sign out Safari on iPhone")`),
    ])
    t.equal(await page.innerText('#notice'), 'Signed out Safari on iPhone.', 'the page says what happened')
    t.equal(await page.locator(`li[data-sid="${phoneSid}"]`).count(), 0, 'the signed-out session is gone')
    t.equal(await page.locator('#sessions > li').count(), 1)
    await page.reload()
    t.equal(await page.locator('#notice').count(), 0, 'the message is shown once')

    // The phone: signed out on its next request.
    await other.goto(`${base}/login/view/sessions`)
    t.match(other.url(), `${base}/login?next=`, 'sent to sign in again')
    t.equal(await leaseOf(phone, base), undefined, 'its cookie was cleared')
    t.equal((await phone.request.get(`${base}/login/check`)).status(), 401)

    // The laptop: still signed in; its own Sign out button ends it and the sign-in page says so.
    t.equal((await laptop.request.get(`${base}/login/check`)).status(), 200, 'the laptop is untouched')
    await Promise.all([page.waitForURL(`${base}/login`), page.click('#sign-out')])
    t.equal(await page.innerText('#notice'), 'You are signed out.')
    t.equal(await leaseOf(laptop, base), undefined, 'signing out clears the cookie')
    t.equal((await laptop.request.get(`${base}/login/check`)).status(), 401)
    t.same([...cspRefusals(page), ...cspRefusals(other)], [], 'nothing was refused by the CSP on the way')
  },
)

browserTest('"Sign out all other sessions" keeps only this one', async (t, browser) => {
  const { base } = await servePages(t)
  const agents = [AGENTS.chromeLinux, AGENTS.firefoxWindows, AGENTS.safariIphone]
  const contexts = await Promise.all(agents.map(agent => newContext(t, browser, 'desktop', agent)))
  const pages: Page[] = []
  for (const context of contexts) {
    const page = await newPage(context)
    await signInWithForm(page, base, 'Mo', '/login/view/sessions')
    pages.push(page)
  }
  const [page] = pages as [Page]
  await page.reload()
  t.equal(await page.locator('#sessions > li').count(), 3)
  await Promise.all([page.waitForURL(`${base}/login/view/sessions`), page.click('#sign-out-others button')])
  t.equal(await page.innerText('#notice'), 'Signed out 2 other sessions.')
  t.same(await page.locator('#sessions .device').allInnerTexts(), ['Chrome on Linux'])
  const checks = await Promise.all(contexts.map(c => c.request.get(`${base}/login/check`)))
  t.same(
    checks.map(r => r.status()),
    [200, 401, 401],
    'the others are signed out',
  )
})
