import { sweepPages } from './sweep.js'
import { axeViolations, screenshot } from './support.js'

await sweepPages(
  'signed-out pages at 1280 and 390 px: no horizontal scrolling, no serious accessibility violation',
  null,
  async ({ t, page, size, world, visit }) => {
    await visit('sign-in', '/login?next=%2Flogin%2Fview%2Fsessions')
    t.equal(await page.innerText('a[data-provider="test"]'), 'Continue with Test account')
    t.equal(await page.locator('nav').count(), 0, 'no navigation for a signed-out visitor')
    await screenshot(page, 'sign-in', size)

    await visit('test sign-in', '/login/test?next=%2Flogin%2Fview%2Fsessions')
    const fontSize = await page.$eval('#who', input => getComputedStyle(input).fontSize)
    t.ok(parseFloat(fontSize) >= 16, `inputs use 16 px text or more (${fontSize}), so phones do not zoom in`)

    await visit('invitation, signed out', `/login/access/accept/${world.pending}`)
    t.match(await page.innerText('#invitation'), /^Ada invites you to join chat\/photos\.$/)
    t.match(await page.innerText('#terms'), /Accept within 5 days/)
    t.match(await page.innerText('#terms'), /access for 30 days after accepting/)
    t.match(await page.innerText('#terms'), /3 places left/)
    t.match(
      await page.getAttribute('a[data-provider="test"]', 'href'),
      `/login/test?next=${encodeURIComponent(`/login/access/accept/${world.pending}`)}`,
      'signing in comes back to the invitation',
    )
    await screenshot(page, 'invitation', size)

    await visit('cancelled invitation', `/login/access/accept/${world.cancelled}`, 410)
    t.match(await page.innerText('#error-message'), /can no longer be accepted/)
    t.equal(await page.getAttribute('main a', 'href'), '/login')

    await visit('unknown page', '/login/view/nothing', 404)
    t.equal(await page.innerText('#error-code'), 'LOGIN_ERR_NOT_FOUND')

    // The accessibility check itself: on a page with what it is for, axe-core finds it.
    await page.setContent('<main><img src="/login/nothing.png"><button></button></main>')
    const found = (await axeViolations(page)).map(violation => violation.id)
    t.ok(
      found.includes('image-alt') && found.includes('button-name'),
      `axe-core finds an image without a text alternative and a button without a name (${found.join(', ')})`,
    )
  },
)
