import t from 'tap'
import { serveApp } from '../helpers/app.js'
import { launchBrowser, PAGE_TIMEOUT_MS } from '../helpers/browser.js'

const browser = await launchBrowser(t)

t.test(
  'invite in the view, accept in another browser, then remove the new member',
  { skip: typeof browser === 'string' ? browser : false },
  async t => {
    if (typeof browser === 'string') return
    const { app, base } = await serveApp(t)
    await app.ctx.groups.tree.ensureNamespace('chat', 'test', 'owner')
    const ownerContext = await browser.newContext()
    const guestContext = await browser.newContext()
    t.teardown(async () => {
      await ownerContext.close()
      await guestContext.close()
    })
    const owner = await ownerContext.newPage()
    const guest = await guestContext.newPage()
    for (const p of [owner, guest]) p.setDefaultTimeout(PAGE_TIMEOUT_MS)

    // The owner signs in and lands on the invite view.
    await owner.goto(`${base}/login/test?next=${encodeURIComponent('/login/access/view/invite')}`)
    await owner.fill('input[name="who"]', 'owner')
    await Promise.all([owner.waitForURL(`${base}/login/access/view/invite`), owner.click('button[type="submit"]')])
    t.equal(await owner.title(), 'Invite people')
    await owner.fill('input[name="g0.accessing"]', 'chat/room')
    await owner.fill('input[name="g0.accept_hours"]', '24')
    await owner.fill('input[name="redirect"]', '/login/me?joined=chat')
    await owner.check('input[name="confirm"]')
    await Promise.all([
      owner.waitForURL(/\/login\/access\/accept\/[2-9A-Za-z]{22}$/),
      owner.click('#invite-form button[type="submit"]'),
    ])

    // The preview: link, short code, QR image, places left.
    t.equal(await owner.title(), 'Your invitation')
    const link = await owner.getAttribute('#invite-link', 'href')
    const short = await owner.innerText('#short-code')
    t.equal(link, `${base}/login/access/accept/${short}`)
    t.equal(await owner.innerText('#places'), '1')
    await owner.waitForFunction(() => (document.getElementById('qr') as HTMLImageElement).naturalWidth > 0)
    t.pass('the QR image loaded')

    // A second browser opens the link: sign in first, then back to the invitation.
    await guest.goto(link!)
    t.match(guest.url(), `${base}/login?next=`)
    await guest.click('a[data-provider="test"]')
    await guest.fill('input[name="who"]', 'Guest')
    await Promise.all([guest.waitForURL(link!), guest.click('button[type="submit"]')])
    t.equal(await guest.title(), 'Join a group')
    t.match(await guest.innerText('#invitation'), /owner invites you to join chat\/room/)
    await Promise.all([guest.waitForURL(`${base}/login/me?joined=chat`), guest.click('#accept')])
    t.match(JSON.parse(await guest.innerText('body')), { name: 'Guest' }, 'accepted and sent to the redirect')
    t.equal(
      (await guestContext.request.get(`${base}/login/check?group=${encodeURIComponent('chat/room')}`)).status(),
      200,
    )

    // The owner's removal view lists the new member; removing them ends their access.
    await owner.goto(`${base}/login/access/view/remove`)
    const row = owner.locator('#removable tbody tr', { hasText: 'Guest' })
    t.equal(await row.count(), 1, 'the new member is listed')
    await row.locator('input[type="checkbox"]').check()
    await Promise.all([
      owner.waitForResponse(r => r.url() === `${base}/login/access/view/remove` && r.status() === 200),
      owner.click('#remove-form button[type="submit"]'),
    ])
    t.equal(await owner.locator('#removable tbody tr', { hasText: 'Guest' }).count(), 0, 'gone from the list')
    const check = await guestContext.request.get(`${base}/login/check?group=${encodeURIComponent('chat/room')}`)
    t.equal(check.status(), 403, 'the removed member is refused')
  },
)
