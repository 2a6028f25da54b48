import { sweepPages } from './sweep.js'
import { screenshot } from './support.js'
import { LONG_GROUP, LONG_NAME } from './world.js'

await sweepPages(
  "an owner's pages, full of data, at 1280 and 390 px: no horizontal scrolling, no serious accessibility violation",
  () => 'Ada',
  async ({ t, page, size, served, world, visit, check }) => {
    await visit('sessions', '/login/view/sessions')
    const devices = await page.locator('#sessions .device').allInnerTexts()
    t.equal(devices[0], size === 'phone' ? 'Safari on iPhone' : 'Chrome on Linux', 'this device first')
    t.match(await page.innerText('#sessions li:first-child'), /This device/)
    t.ok(devices.includes('Firefox on Windows'), 'devices are named from their user agents')
    t.match(
      await page.innerText('#sessions li:last-child'),
      /Signed in\s*9 days ago/,
      'relative times (the oldest session last)',
    )
    t.match(
      await page.getAttribute('#sessions li:last-child time', 'title'),
      /\d{4}/,
      'the exact time on hover, in the local time zone',
    )
    t.ok(
      await page.locator('button', { hasText: 'Sign out Firefox on Windows' }).count(),
      'buttons say what they sign out',
    )
    t.equal(await page.locator('#sign-out-others button').innerText(), 'Sign out all other sessions')
    await screenshot(page, 'sessions', size)

    await visit('groups', '/login/access/view/groups')
    t.match(await page.innerText('#memberships'), /chat/)
    t.equal(
      await page.getAttribute('a.log-link', 'href'),
      '/login/access/view/log/chat',
      'the audit log is linked for those allowed to read it',
    )

    await visit('leave: confirmation', `/login/access/view/leave/${world.adaMembership}`)
    t.equal(await page.innerText('#leave-form button'), 'Leave chat')

    await visit('invite', '/login/access/view/invite')
    t.equal(await page.isChecked('input[name="g0"]'), true, 'the first group is ticked')
    t.equal(await page.inputValue('input[name="g0.accept_days"]'), '7', 'accept within 7 days by default')
    await screenshot(page, 'invite', size)

    await page.fill('input[name="g0.accessing"]', 'other/thing')
    await page.fill('input[name="g0.access_days"]', '3')
    await Promise.all([
      page.waitForURL(`${served.base}/login/access/allow`),
      page.click('#invite-form button[type="submit"]'),
    ])
    t.match(
      await page.innerText('#form-error'),
      'Your membership of chat cannot invite to other/thing: it is neither chat nor a group below it',
      'the error is shown above the form, naming groups by path',
    )
    t.equal(await page.inputValue('input[name="g0.accessing"]'), 'other/thing', 'the input is kept')
    t.equal(await page.inputValue('input[name="g0.access_days"]'), '3')
    await check('invite: error')

    await visit('invitation preview', `/login/access/accept/${world.pending}`)
    await page.waitForFunction(() => (document.getElementById('qr') as HTMLImageElement).naturalWidth > 0)
    t.match(await page.innerText('#grants'), /chat\/photos: accept within 5 days; access for 30 days after accepting/)
    await screenshot(page, 'invitation-preview', size)

    await visit('remove members', '/login/access/view/remove')
    const cell = (member: string, column: string) =>
      page
        .locator('#removable tr', { has: page.locator('strong.member', { hasText: new RegExp(`^${member}$`) }) })
        .locator(`td[data-label="${column}"]`)
        .innerText()
    t.equal(await cell('Grace', 'Admitted by'), 'Ada', 'who admitted whom')
    t.equal(await cell('Grace', 'Since'), '8 days ago', 'since')
    t.equal(await cell('Grace', 'Access ends'), 'never', 'until')
    t.equal(await cell('Grace', 'May still admit'), '2 people', 'places left')
    t.equal(await cell('Alan', 'Admitted by'), 'Grace')
    t.equal(await cell('Alan', 'Access ends'), 'in 24 days')
    t.equal(await cell(LONG_NAME, 'Group'), `chat/room/${LONG_GROUP}`, 'long names wrap')

    await visit(
      'remove: confirmation',
      `/login/access/view/remove/confirm?memberships=${world.graceMembership}&cascade=on`,
    )
    t.match(await page.innerText('#to-remove'), /Grace from chat\/room/)
    t.equal(await page.locator('#cascade-warning').count(), 1)

    await visit('cancel invitations', '/login/access/view/renege')
    const places = await page.locator('#cancellable td[data-label="Places left"]').allInnerTexts()
    t.same(
      places.sort(),
      ['0', '0', '2', '3', 'any number'],
      'open invitations, used up ones too, with the places left',
    )

    await visit('audit log', '/login/access/view/log/chat')
    const log = await page.locator('#log li').allInnerTexts()
    t.ok(log.includes === undefined || log.length >= 8, 'every change is listed')
    t.match(log.join('\n'), /Ada cancelled an invitation to chat\/old/)
    t.match(log.join('\n'), /Alan accepted an invitation and joined chat\/room/)
    t.notMatch(log.join('\n'), /UTC/, 'times are shown in the local time zone')

    await visit('delete account', '/login/view/delete')
    t.match(await page.innerText('label[for="confirm-name"]'), /type your name: Ada/)

    // Opened by typing it (Sec-Fetch-Site: none): nothing from this site asked, so it asks first.
    await visit('sign out: confirmation', '/login/logout')
    t.equal(await page.innerText('#logout-form button'), 'Sign out')

    await visit('unknown page, signed in', '/login/view/nothing', 404)
    t.equal(await page.locator('nav a').count(), 5, 'error pages keep the navigation')
  },
)
