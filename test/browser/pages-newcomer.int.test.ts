import { sweepPages } from './sweep.js'
import { screenshot } from './support.js'

await sweepPages(
  "a newcomer's empty pages and an invitation to accept, at 1280 and 390 px",
  // A different newcomer per size, each with one session.
  size => (size === 'phone' ? 'Bea' : 'Bob'),
  async ({ t, page, size, served, world, visit, check }) => {
    await visit('sessions, one', '/login/view/sessions')
    t.equal(await page.locator('#sessions li').count(), 1)
    t.equal(await page.locator('#sign-out-others').count(), 0, 'no "sign out all other sessions" without others')

    await visit('groups, none', '/login/access/view/groups')
    t.match(await page.innerText('#no-memberships'), /not a member of any group yet/)

    await visit('invite, nothing to invite to', '/login/access/view/invite')
    t.match(await page.innerText('main'), /You cannot invite anyone/)
    t.notMatch(await page.innerText('main'), /Tick the groups/, 'no instructions for a form that is not there')

    await visit('remove members, nobody', '/login/access/view/remove')
    t.equal(await page.locator('#nobody').count(), 1)

    await visit('cancel invitations, none', '/login/access/view/renege')
    t.equal(await page.locator('#none').count(), 1)

    await visit('audit log, not allowed (answered like a missing group)', '/login/access/view/log/chat', 404)
    t.equal(await page.innerText('#error-code'), 'LOGIN_ERR_NOT_FOUND')
    t.equal(await page.locator('nav a').count(), 5, 'the error page keeps the navigation')

    await visit('accept an invitation', `/login/access/accept/${world.pending}`)
    t.match(await page.innerText('#invitation'), /^Ada invites you to join chat\/photos\.$/)
    t.equal(await page.innerText('#accept'), 'Join chat/photos', 'it asks for confirmation: a button')
    t.equal(page.url(), `${served.base}/login/access/accept/${world.pending}`, 'and nothing was sent by itself')
    await screenshot(page, 'accept', size)

    // Through the QR code: after joining, the page offers to continue on another device.
    await visit('accept from a QR code', `/login/access/qr/accept/${world.pending}`)
    await Promise.all([page.waitForURL(`${served.base}/login/access/add/${world.pending}`), page.click('#accept')])
    await check('joined, hand off to another device')
    t.equal(await page.innerText('#joined'), 'You joined chat/photos.')
    t.equal(await page.innerText('#continue'), 'See your groups')
    t.equal(await page.innerText('#handoff'), `${served.base}/login/access/qr`)

    await visit('invitation already accepted', `/login/access/accept/${world.pending}`)
    t.match(await page.innerText('#already'), /already accepted/)
  },
)
