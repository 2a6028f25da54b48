import t from 'tap'
import { clientSettings } from '../../src/oidc/client-settings.js'
import { issuerOf } from '../../src/oidc/issuer.js'
import { serveApp } from '../helpers/app.js'
import { apacheMissing, apachePlan, startApache } from './apache.js'
import { Browser } from './fixture.js'

const missing = await apacheMissing()

t.test(
  'Apache with mod_auth_openidc: signed out → our sign-in page → back on the page with OIDC_CLAIM_groups',
  { skip: missing },
  async t => {
    const server = await serveApp(t)
    const plan = await apachePlan()
    const creds = await server.app.ctx.apps.add('apache', clientSettings({ redirectUris: [plan.redirectUri] }))
    const apache = await startApache(t, plan, {
      issuer: issuerOf(server.config),
      clientId: creds.id,
      secret: creds.secret!,
    })
    const { groups } = server.app.ctx
    await groups.tree.ensureNamespace('intranet', 'test', 'owner')
    await groups.tree.ensureNamespace('payroll', 'test', 'owner')
    await groups.appScope.allow(creds.id, 'intranet')

    const browser = new Browser()
    const page = `${apache.base}/protected/index.shtml`
    const signIn = await browser.visit(page, `${server.base}/login?`)
    t.equal(`${signIn.url.origin}${signIn.url.pathname}`, `${server.base}/login`, 'signed out: our sign-in page')
    const next = signIn.url.searchParams.get('next')!
    const me = await browser.visit(
      `${server.base}/login/test/as?who=nora&next=${encodeURIComponent(next)}`,
      'http://never/',
    )
    t.equal(me.response?.status, 200, `back on the page (${me.url.href})`)
    t.equal(me.url.href, page, 'the page Apache protects')
    const body = await me.response!.text()
    t.match(body, /<p id="name">nora<\/p>/, 'OIDC_CLAIM_name set')
    t.match(body, /<p id="user">nora<\/p>/, 'REMOTE_USER is the handle (preferred_username)')
    t.match(body, /<p id="email">(\(none\))?<\/p>/, 'no address vouched for: no OIDC_CLAIM_email')
    t.match(body, /<p id="groups"><\/p>/, 'OIDC_CLAIM_groups set, empty: no memberships in its namespaces yet')

    const nora = (await server.app.ctx.users.findByIdentity('test', 'nora'))!
    await groups.membership.grant(nora.id, 'intranet/wiki/editors')
    await groups.membership.grant(nora.id, 'intranet/hr')
    await groups.membership.grant(nora.id, 'payroll/staff')
    // A new Apache session (its cookie dropped) signs in again, silently: she is still signed in here.
    for (const name of [...browser.cookies.keys()])
      if (name.startsWith('mod_auth_openidc')) browser.cookies.delete(name)
    const again = await browser.visit(page, 'http://never/')
    t.equal(again.url.href, page)
    t.match(
      await again.response!.text(),
      /<p id="groups">intranet\/hr,intranet\/wiki\/editors<\/p>/,
      'OIDC_CLAIM_groups lists the memberships in the namespaces Apache may see, and no others',
    )
    t.notMatch(apache.log(), /\[auth_openidc:error\]/, 'mod_auth_openidc reported no error')
  },
)
