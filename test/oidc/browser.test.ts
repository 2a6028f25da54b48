import t from 'tap'
import { clientSettings } from '../../src/oidc/client-settings.js'
import { issuerOf } from '../../src/oidc/issuer.js'
import { serveApp } from '../helpers/app.js'
import { browserTests, freshPage } from '../helpers/browser.js'
import { startRelyingParty } from './relying-party.js'

const browserTest = await browserTests(t)

browserTest(
  'a relying party on another origin: click "sign in", sign in with the test provider, land back signed in',
  async (t, browser) => {
    const server = await serveApp(t)
    const rp = await startRelyingParty(t)
    t.not(new URL(rp.origin).hostname, new URL(server.base).hostname, 'another origin, another site')
    const creds = await server.app.ctx.apps.add('wiki', clientSettings({ redirectUris: [rp.redirectUri] }))
    await rp.configure(issuerOf(server.config), creds.id, creds.secret!)
    const { groups } = server.app.ctx
    await groups.tree.ensureNamespace('wiki', 'test', 'Zoë Browser')
    await groups.appScope.allow(creds.id, 'wiki')

    const { context, page } = await freshPage(t, browser)

    await page.goto(rp.origin)
    await page.click('#sign-in')
    await page.waitForURL(url => url.origin === server.base && url.pathname === '/login')
    t.equal(await page.title(), 'Sign in', "the login server's own sign-in page")
    await page.click('a[data-provider="test"]')
    await page.fill('input[name="who"]', 'Zoë Browser')
    await Promise.all([page.waitForURL(`${rp.origin}/`), page.click('button[type="submit"]')])
    t.equal(await page.textContent('#user'), 'Signed in as Zoë Browser', 'back on the app, signed in')
    t.equal(await page.textContent('#groups'), 'wiki', 'with the groups of its namespace')

    // Signed in at the login server too: a second sign-in to the app asks nothing.
    const again = await context.newPage()
    await again.goto(`${rp.origin}/sign-in`)
    await again.waitForURL(`${rp.origin}/`)
    t.equal(await again.textContent('#user'), 'Signed in as Zoë Browser', 'straight back, no page in between')
    t.equal((await context.request.get(`${server.base}/login/check`)).status(), 200)
  },
)
