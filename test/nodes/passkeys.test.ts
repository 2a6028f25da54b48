// Two nodes on one PostgreSQL: a passkey ceremony whose challenge one node made is answered on the other, with a
// real browser (Chromium's virtual authenticator) on the pages of the first. Its answers are sent to the second
// node by the browser's own network stack, re-routed, as a load balancer would send them. The challenge is single
// use across the nodes too.
import t from 'tap'
import type { Page } from 'playwright-core'
import { freePort, signInOverHttp } from '../helpers/app.js'
import { browserTests } from '../helpers/browser.js'
import { startPostgres } from '../helpers/postgres.js'
import { VirtualAuthenticator } from '../browser/authenticator.js'
import { newContext, newPage } from '../browser/support.js'
import { check, startNode, type Node } from './helpers.js'

const cluster = await startPostgres(t)
const browserTest = await browserTests(t)

/** Sends the page's posts to `path` to node `to` instead, keeping what they carried; answers those bodies. */
async function answerOn(page: Page, from: Node, to: Node, path: string): Promise<string[]> {
  const bodies: string[] = []
  await page.route(`**${path}`, async route => {
    bodies.push(route.request().postData() ?? '')
    const response = await route.fetch({ url: route.request().url().replace(from.url, to.url) })
    await route.fulfill({ response })
  })
  return bodies
}

const name = 'a challenge made on node A is answered on node B, once'
if (typeof cluster === 'string') t.test(name, { skip: cluster }, async () => {})
else
  browserTest(name, async (t, browser) => {
    const database = await cluster.createDatabase()
    const ports = [await freePort(), await freePort()]
    const origins = ports.map(port => `http://localhost:${port}`).join(',')
    // One deployment reached at two origins of the site: both nodes accept answers made on either.
    const [a, b] = (await Promise.all(
      ports.map(port =>
        startNode(t, database, [], { LOGIN_PASSKEY_ORIGINS: origins }, { port, hostName: 'localhost' }),
      ),
    )) as [Node, Node]

    const context = await newContext(t, browser, 'desktop')
    const [cookieName, value] = (await signInOverHttp(a.url, 'Ada')).split('=') as [string, string]
    await context.addCookies([{ name: cookieName, value, url: a.url }])
    const page = await newPage(context)
    await VirtualAuthenticator.on(page)

    // Adding a passkey: options from A, the new passkey verified by B.
    const added = await answerOn(page, a, b, '/login/passkeys/add')
    await page.goto(`${a.url}/login/view/sessions`)
    await Promise.all([page.waitForSelector('#notice'), page.click('button[data-passkey-add]')])
    t.equal(added.length, 1, 'the answer went to B')
    t.equal(await page.locator('#passkeys li').count(), 1, 'and A lists the passkey B stored')

    // Signing in: signed out first, then options from A and the answer verified by B.
    await context.request.post(`${a.url}/login/logout`)
    const signedIn = await answerOn(page, a, b, '/login/passkeys/sign-in')
    await Promise.all([
      page.waitForURL(`${a.url}/login/me`),
      page.goto(`${a.url}/login?next=${encodeURIComponent('/login/me')}`),
    ])
    t.equal(signedIn.length, 1, 'the sign-in answer went to B')
    t.match(JSON.parse(await page.innerText('body')), { name: 'Ada' }, 'signed in, on next')
    const lease = (await context.cookies(a.url)).find(c => c.name === 'login')!
    t.equal(await check(a, `login=${lease.value}`), 200, 'A knows the session B started')

    // The answer B took, sent to A: its challenge is gone from the shared database.
    const replayed = await context.request.post(`${a.url}/login/passkeys/sign-in`, {
      headers: { 'content-type': 'application/json' },
      data: signedIn[0]!,
    })
    t.equal(replayed.status(), 400)
    t.match(await replayed.json(), { code: 'LOGIN_ERR_PASSKEY', message: /already used/ })
  })
