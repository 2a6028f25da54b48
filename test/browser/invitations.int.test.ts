import t from 'tap'
import { browserTests } from '../helpers/browser.js'
import { AGENTS, cspRefusals, newContext, newPage, servePages, signInto } from './support.js'

const browserTest = await browserTests(t)

browserTest(
  'an owner invites from a phone; the invitee opens the link signed out, signs in, joins; the owner removes them',
  async (t, browser) => {
    const served = await servePages(t)
    const { app, base } = served
    await app.ctx.groups.tree.ensureNamespace('chat', 'test', 'owner')
    const ownerPhone = await newContext(t, browser, 'phone', AGENTS.safariIphone)
    const guestPhone = await newContext(t, browser, 'phone', AGENTS.chromeAndroid)
    await signInto(ownerPhone, served, 'owner', AGENTS.safariIphone)
    const owner = await newPage(ownerPhone)
    const guest = await newPage(guestPhone)

    // The owner fills the invite form on a 390 px screen: a group below theirs, one place, no confirmation.
    await owner.goto(`${base}/login/access/view/invite`)
    t.equal(await owner.title(), 'Invite people')
    await owner.fill('input[name="g0.accessing"]', 'chat/room')
    await owner.fill('input[name="g0.accept_days"]', '')
    await owner.fill('input[name="g0.accept_hours"]', '12')
    await owner.fill('input[name="g0.access_days"]', '2')
    await Promise.all([
      owner.waitForURL(/\/login\/access\/accept\/[2-9A-Za-z]{22}$/),
      owner.click('#invite-form button[type="submit"]'),
    ])

    // The preview: the QR code, the link, the code, the places left.
    t.equal(await owner.title(), 'Your invitation')
    const link = await owner.getAttribute('#invite-link', 'href')
    const short = await owner.innerText('#short-code')
    t.equal(link, `${base}/login/access/accept/${short}`)
    t.equal(await owner.innerText('#places'), '1')
    await owner.waitForFunction(() => (document.getElementById('qr') as HTMLImageElement).naturalWidth > 0)
    const qr = await owner.locator('#qr').boundingBox()
    t.ok(qr && qr.width >= 200 && qr.x >= 0 && qr.x + qr.width <= 390, 'the QR code is large and fits the phone')
    t.match(await owner.innerText('#grants'), /chat\/room: accept within 12 hours; access for 2 days after accepting/)

    // The invitee opens the link signed out: who invites them to what, and how to sign in.
    await guest.goto(link!)
    t.equal(await guest.title(), 'You are invited')
    t.equal(await guest.innerText('#invitation'), 'owner invites you to join chat/room.')
    await guest.click('a[data-provider="test"]')
    await guest.fill('input[name="who"]', 'Guest')
    // Back on the invitation, which accepts itself (no confirmation asked) and says so.
    await Promise.all([guest.waitForURL(`${base}/login/access/view/groups`), guest.click('main button[type="submit"]')])
    t.equal(await guest.innerText('#notice'), 'You joined chat/room.')
    t.equal(await guest.locator('#memberships tr[data-path="chat/room"]').count(), 1, 'and lists the group')
    const member = await guestPhone.request.get(`${base}/login/check?group=${encodeURIComponent('chat/room')}`)
    t.equal(member.status(), 200, 'the invitee is a member')

    // The owner removes them: tick, confirm on the next page, then the page says who was removed.
    await owner.goto(`${base}/login/access/view/remove`)
    const row = owner.locator('#removable tbody tr', { hasText: 'Guest' })
    t.equal(await row.count(), 1, 'the new member is listed')
    t.equal(await row.locator('td[data-label="Admitted by"]').innerText(), 'owner')
    await row.locator('input[type="checkbox"]').check()
    await Promise.all([
      owner.waitForURL(/\/login\/access\/view\/remove\/confirm\?/),
      owner.click('#remove-form button[type="submit"]'),
    ])
    t.equal(await owner.title(), 'Remove Guest?')
    t.equal(
      (await guestPhone.request.get(`${base}/login/check?group=${encodeURIComponent('chat/room')}`)).status(),
      200,
      'nothing happens before the confirmation',
    )
    await Promise.all([
      owner.waitForURL(`${base}/login/access/view/remove`),
      owner.click('#confirm-remove-form button[type="submit"]'),
    ])
    t.equal(await owner.innerText('#notice'), 'Removed Guest from chat/room.')
    t.equal(await owner.locator('#removable tbody tr', { hasText: 'Guest' }).count(), 0, 'gone from the list')
    const check = await guestPhone.request.get(`${base}/login/check?group=${encodeURIComponent('chat/room')}`)
    t.equal(check.status(), 403, 'the removed member is refused')
    t.same([...cspRefusals(owner), ...cspRefusals(guest)], [], 'nothing was refused by the CSP on the way')
  },
)

browserTest('leaving a group and deleting the account each ask first, and say what happened', async (t, browser) => {
  const served = await servePages(t)
  const { app, base } = served
  await app.ctx.groups.tree.ensureNamespace('club', 'test', 'Kim')
  await app.ctx.groups.tree.ensureNamespace('choir', 'test', 'Kim')
  const context = await newContext(t, browser, 'phone')
  await signInto(context, served, 'Kim', AGENTS.safariIphone)
  const page = await newPage(context)

  await page.goto(`${base}/login/access/view/groups`)
  await Promise.all([
    page.waitForURL(/\/login\/access\/view\/leave\//),
    page.click('tr[data-path="club"] a:text("Leave…")'),
  ])
  t.equal(await page.title(), 'Leave club?')
  await Promise.all([
    page.waitForURL(`${base}/login/access/view/groups`),
    page.click('#leave-form button:text("Leave club")'),
  ])
  t.equal(await page.innerText('#notice'), 'You left club.')
  t.same(await page.locator('#memberships tbody tr').evaluateAll(rows => rows.map(r => r.getAttribute('data-path'))), [
    'choir',
  ])

  await page.goto(`${base}/login/view/delete`)
  await page.fill('#confirm-name', 'Tim')
  await Promise.all([page.waitForURL(`${base}/login/delete`), page.click('#delete-form button[type="submit"]')])
  t.match(await page.innerText('#form-error'), /Type your name, Kim, to confirm; nothing was deleted/)
  t.equal((await context.request.get(`${base}/login/check`)).status(), 200, 'a wrong name deletes nothing')
  await page.fill('#confirm-name', 'kim')
  await Promise.all([page.waitForURL(`${base}/login`), page.click('#delete-form button[type="submit"]')])
  t.equal(await page.innerText('#notice'), 'Your account was deleted.')
  t.equal((await context.request.get(`${base}/login/check`)).status(), 401)
})
