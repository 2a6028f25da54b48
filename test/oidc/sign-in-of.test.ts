// ID tokens say how the login session began when it began with a passkey (`amr`, RFC 8176), and nothing otherwise;
// a refreshed token keeps it. The passkey session here is recorded as a passkey sign-in records it (the browser
// tests make one with a real authenticator).
import t from 'tap'
import * as client from 'openid-client'
import { passkeyAccount, passkeySession } from '../helpers/passkeys.js'
import { Browser, oidcSetup, signInTo } from './fixture.js'

const setup = await oidcSetup(t)
const { app } = setup.server

t.test('a synced passkey: user and swk; a passkey kept on its device: user and hwk; kept across refreshes', async t => {
  for (const amr of [
    ['user', 'swk'],
    ['user', 'hwk'],
  ]) {
    const { user } = await passkeyAccount(app, `Holder ${amr[1]}`)
    const tokens = await signInTo(setup, new Browser(await passkeySession(app, user, amr)))
    t.same(tokens.claims()!.amr, amr, `ID token of a ${amr[1]} session`)
    const refreshed = await client.refreshTokenGrant(setup.rp, tokens.refresh_token!)
    t.same(refreshed.claims()!.amr, amr, 'and of its refresh')
  }
})

t.test('a provider sign-in: no amr at all', async t => {
  const tokens = await signInTo(setup, new Browser(await setup.server.signIn('Provider person')))
  t.notOk('amr' in tokens.claims()!, 'nothing to say, so nothing said')
})
