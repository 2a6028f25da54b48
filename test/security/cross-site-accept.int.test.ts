// Another site links a signed-in visitor to an invitation: the SameSite=Lax cookie travels with the
// top-level navigation, so the page must not accept by itself.
import t from 'tap'
import { createServer } from 'node:http'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { serveApp } from '../helpers/app.js'
import { browserTests, freshPage } from '../helpers/browser.js'
import { openLink } from '../helpers/invitations.js'

const browserTest = await browserTests(t)

browserTest(
  'an invitation opened from another site waits for a click; typed, it accepts itself',
  async (t, browser) => {
    const { app, base } = await serveApp(t)
    const { owner } = await app.ctx.groups.tree.ensureNamespace('club', 'test', 'boss')
    const link = await app.ctx.groups.invitations.create(owner.id, openLink('club', { redirect: '/login/me' }))
    const acceptUrl = `${base}/login/access/accept/${link.code}`

    // The other site: `localhost` is another site than `127.0.0.1`, where the login server is.
    const evil = createServer((_request, response) => {
      response.setHeader('content-type', 'text/html')
      response.end(`<!doctype html><a id="go" href="${acceptUrl}">free stuff</a>`)
    })
    evil.listen(0, '127.0.0.1')
    await once(evil, 'listening')
    t.teardown(() => evil.close())
    const evilUrl = `http://localhost:${(evil.address() as AddressInfo).port}/`

    const { page } = await freshPage(t, browser)
    await page.goto(`${base}/login/test/as?who=visitor`)
    const visitor = (await app.ctx.users.findByIdentity('test', 'visitor'))!.id

    await page.goto(evilUrl)
    await Promise.all([page.waitForURL(acceptUrl), page.click('#go')])
    await page.waitForLoadState('networkidle')
    t.equal(page.url(), acceptUrl, 'the visitor stays on the invitation')
    t.ok(await page.isVisible('#accept'), 'with the button to accept')
    t.notOk(await app.ctx.groups.membership.isMember(visitor, 'club'), 'and has not joined')

    await Promise.all([page.waitForURL(`${base}/login/me`), page.goto(acceptUrl)])
    t.ok(await app.ctx.groups.membership.isMember(visitor, 'club'), 'typed in, the invitation accepts itself')
  },
)
