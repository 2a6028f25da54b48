// The pages of what apps see and of device sign-in, in a real browser at 1280 and 390 px: no horizontal
// scrolling, no serious accessibility violation, no CSP violation, and forms that work as a person uses them.
import { clientSettings } from '../../src/oidc/client-settings.js'
import { issuerOf } from '../../src/oidc/issuer.js'
import { sweepPages } from './sweep.js'

await sweepPages(
  'what apps see and device sign-in, at 1280 and 390 px: the forms work, nothing overflows, nothing axe objects to',
  size => `Ada ${size}`,
  async ({ t, page, size, served, visit, check }) => {
    const { users, clock } = served.app.ctx
    const ada = (await users.findByIdentity('test', `Ada ${size}`))!
    await users.link(ada.id, 'google', `g-${size}`, clock.now(), `ada.${size}@gmail.example`)
    await users.link(ada.id, 'github', `gh-${size}`, clock.now() + 1, `ada.${size}@analytical-engine.example`)

    await visit('sessions: what apps see', '/login/view/sessions')
    t.equal(await page.inputValue('#handle'), `Ada.${size}`, 'the handle given at the first sign-in')
    t.equal(await page.locator('#address-form input[type="radio"]').count(), 2, 'both vouched addresses')
    t.ok(await page.isChecked(`input[value="ada.${size}@gmail.example"]`), 'the first one, until another is picked')
    await page.check(`input[value="ada.${size}@analytical-engine.example"]`)
    await Promise.all([page.waitForURL(/\/login\/view\/sessions$/), page.click('#address-form button')])
    t.match(await page.innerText('#notice'), `Apps now see ada.${size}@analytical-engine.example.`)
    await page.fill('#handle', `countess-${size}`)
    await Promise.all([page.waitForURL(/\/login\/view\/sessions$/), page.click('#handle-form button')])
    t.match(await page.innerText('#notice'), `Your handle is now countess-${size}.`)
    await check('sessions: after choosing')

    await visit('sign in again', '/login?prompt=login&next=%2Flogin%2Fview%2Fsessions')
    t.match(await page.innerText('#sign-in-again'), /prove it is you again/)

    const tv = await served.app.ctx.apps.add(`living-room-tv-${size}`, clientSettings({ device: true, public: true }))
    const start = async () => {
      const answer = await fetch(`${issuerOf(served.config)}/oidc/device/auth`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'tv-cli/1.0' },
        body: new URLSearchParams({ client_id: tv.id, scope: 'openid profile' }),
      })
      return (await answer.json()) as { user_code: string; verification_uri_complete: string }
    }

    await visit('device: enter the code', '/login/device')
    const typed = await start()
    await page.fill('#user_code', 'WRONGCODE')
    await Promise.all([page.waitForURL(/\/login\/device$/), page.click('#code-form button')])
    t.match(await page.innerText('#form-error'), /no sign-in waits for this code/)
    t.equal(await page.getAttribute('#user_code', 'aria-invalid'), 'true')
    await check('device: a wrong code')
    await page.fill('#user_code', typed.user_code.toLowerCase())
    await Promise.all([page.waitForURL(/\/login\/device$/), page.click('#code-form button')])
    t.match(await page.innerText('#asking'), `living-room-tv-${size} asks to sign in as you`)
    await check('device: confirm')
    await Promise.all([page.waitForURL(/\/login\/device$/), page.click('#allow')])
    t.match(await page.innerText('#outcome'), /is signed in as you on the device/)
    await check('device: allowed')

    const scanned = await start()
    await visit(
      'device: from the QR code',
      new URL(scanned.verification_uri_complete).pathname + new URL(scanned.verification_uri_complete).search,
    )
    t.equal(await page.innerText('#shown-code'), scanned.user_code)
    await Promise.all([page.waitForURL(/\/login\/device$/), page.click('#deny')])
    t.match(await page.innerText('#outcome'), /Nothing was signed in/)
    await check('device: denied')
  },
)
