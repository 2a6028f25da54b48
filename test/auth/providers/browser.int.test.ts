import t from 'tap'
import type { MutableResponse } from 'oauth2-mock-server'
import { browserTests, freshPage } from '../../helpers/browser.js'
import { startMockIssuer, startOAuthApp } from '../../helpers/oauth.js'

const browserTest = await browserTests(t)

browserTest('a real browser signs in through an OpenID provider and lands on next, signed in', async (t, browser) => {
  const mock = await startMockIssuer(t)
  mock.service.on('beforeUserinfo', (response: MutableResponse) => {
    response.body = { sub: 'johndoe', name: 'Jo Browser' }
  })
  const { base } = await startOAuthApp(t, {
    oidc: { mock: { issuer: mock.issuer.url!, id: 'browser-client', secret: 'browser-secret', label: 'Mock ID' } },
  })
  const { context, page } = await freshPage(t, browser)

  await page.goto(`${base}/login?next=${encodeURIComponent('/login/view/sessions?from=browser')}`)
  await page.click('a[data-provider="oidc:mock"]')
  await page.waitForURL(`${base}/login/view/sessions?from=browser`)
  t.equal(await page.textContent('header strong'), 'Jo Browser', 'signed in, by the name the provider gave')
  t.equal(
    (await page.innerText('#identities li')).replace(/\s+/g, ' ').trim(),
    'Mock ID johndoe',
    'the identity: the provider by its label, and the provider user id',
  )

  const lease = (await context.cookies(base)).find(c => c.name === 'login')
  t.ok(lease?.httpOnly, 'the lease cookie is HttpOnly')
  t.equal(lease?.sameSite, 'Lax')
})
