import t from 'tap'
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { createLocalJWKSet, jwtVerify } from 'jose'
import { KeyRing } from '../../src/auth/keys.js'
import { LeaseService } from '../../src/auth/leases.js'
import { buildApp } from '../../src/app.js'
import { ManualClock } from '../../src/clock.js'
import { signIn, tempDir, testConfig } from '../helpers/app.js'

const user = { id: '0b0b6b4e-0000-4000-8000-000000000001', name: 'alice', picture: '' }
const LEASE = 3600

const mode = (path: string) => statSync(path).mode & 0o777

t.test('secrets under run/ are created with mode 0600', async t => {
  const config = testConfig(t)
  const app = await buildApp(config, { logger: false })
  await app.close()
  for (const name of ['lease-keys.json', 'form-secret']) {
    t.equal(mode(join(config.runDir, name)).toString(8), '600', `${name} is readable by its owner only`)
  }
})

t.test('the key pair is generated once and kept across restarts', async t => {
  const runDir = tempDir(t)
  const clock = new ManualClock()
  const first = await KeyRing.open(runDir, clock.now())
  const second = await KeyRing.open(runDir, clock.now())
  t.equal(second.signing.kid, first.signing.kid)
  t.same(second.jwks(clock.now(), LEASE), first.jwks(clock.now(), LEASE))

  // End to end: a lease issued before a restart still signs its holder in after it.
  const config = testConfig(t)
  const before = await buildApp(config, { logger: false })
  const cookie = await signIn(before, config, 'alice')
  await before.close()
  const after = await buildApp(config, { logger: false })
  t.teardown(() => after.close())
  const me = await after.inject({ url: '/login/me', headers: { cookie } })
  t.equal(me.statusCode, 200)
  t.equal(me.json().name, 'alice')
})

t.test('the JWKS publishes Ed25519 public keys only', async t => {
  const clock = new ManualClock()
  const keys = await KeyRing.open(tempDir(t), clock.now())
  const { keys: published } = keys.jwks(clock.now(), LEASE)
  t.equal(published.length, 1)
  t.match(published[0], { kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig', kid: keys.signing.kid, x: String })
  for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) t.notOk(secret in published[0]!, `no "${secret}" member`)
})

t.test('rotation: the new key signs, the old one stays published for one lease lifetime', async t => {
  const runDir = tempDir(t)
  const clock = new ManualClock()
  const keys = await KeyRing.open(runDir, clock.now())
  const leases = new LeaseService(keys, clock, LEASE)
  const oldKid = keys.signing.kid
  const { token: oldToken } = await leases.issue(user, 'sid-old')

  clock.advance(60)
  const newKid = await keys.rotate(clock.now(), LEASE)
  t.not(newKid, oldKid)
  t.equal(keys.signing.kid, newKid)
  t.equal(mode(join(runDir, 'lease-keys.json')).toString(8), '600', 'the rewritten key file keeps mode 0600')
  t.same(
    keys
      .jwks(clock.now(), LEASE)
      .keys.map(k => k.kid)
      .sort(),
    [oldKid, newKid].sort(),
    'both keys are published',
  )

  const { token: newToken } = await leases.issue(user, 'sid-new')
  const jwks = createLocalJWKSet(keys.jwks(clock.now(), LEASE))
  for (const [token, kid] of [
    [oldToken, oldKid],
    [newToken, newKid],
  ] as const) {
    const { protectedHeader } = await jwtVerify(token, jwks, { currentDate: new Date(clock.now() * 1000) })
    t.equal(protectedHeader.kid, kid, 'an app verifies leases of either key')
  }
  t.equal((await new LeaseService(keys, clock, LEASE).check(oldToken)).status, 'valid', 'so does the server')

  const reopened = await KeyRing.open(runDir, clock.now())
  t.equal(reopened.signing.kid, newKid, 'the rotation survives a restart')
  t.equal(JSON.parse(readFileSync(join(runDir, 'lease-keys.json'), 'utf8')).length, 2)

  clock.advance(LEASE)
  t.same(
    keys.jwks(clock.now(), LEASE).keys.map(k => k.kid),
    [newKid],
    'the old key goes once its leases have expired',
  )
  await keys.rotate(clock.now(), LEASE)
  t.notOk(
    JSON.parse(readFileSync(join(runDir, 'lease-keys.json'), 'utf8')).some((k: { kid: string }) => k.kid === oldKid),
    'and is dropped from the file at the next rotation',
  )
})
