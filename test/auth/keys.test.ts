import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify } from 'jose'
import { LeaseService } from '../../src/auth/leases.js'
import { buildApp } from '../../src/app.js'
import { ManualClock } from '../../src/clock.js'
import { RevocationStore } from '../../src/storage/revocations.js'
import { signIn, testConfig } from '../helpers/app.js'
import { tempDir } from '../helpers/temp-dir.js'
import { openKeys, sqliteDatabase } from '../helpers/database.js'

const user = { id: '0b0b6b4e-0000-4000-8000-000000000001', name: 'alice', picture: '' }
const LEASE = 3600

t.test('keys and secrets live in the database: nothing secret is written under run/ besides it', async t => {
  // A run/ folder of its own, with no keys made in advance: the server makes them all.
  const config = testConfig(t, { runDir: tempDir(t) })
  const app = await buildApp(config, { logger: false })
  const cookie = await signIn(app, config, 'alice')
  await app.close()
  const { readdirSync } = await import('node:fs')
  t.same(
    readdirSync(config.runDir).filter(name => !name.startsWith('login.sqlite')),
    [],
    'run/ holds the database and its journals only',
  )
  // Another server on the same database: same signing key, same form secret.
  const again = await buildApp(config, { logger: false })
  t.teardown(() => again.close())
  t.equal((await again.inject({ url: '/login/me', headers: { cookie } })).statusCode, 200)
})

t.test('the key pair is generated once and kept across restarts and nodes', async t => {
  const db = sqliteDatabase(t)
  const clock = new ManualClock()
  const first = await openKeys(db, clock.now())
  const second = await openKeys(db, clock.now())
  t.equal(second.signing.kid, first.signing.kid)
  t.same(second.jwks(clock.now(), LEASE), first.jwks(clock.now(), LEASE))
  const both = await Promise.all([openKeys(sqliteDatabase(t, tempDir(t)), clock.now()), openKeys(db, clock.now())])
  t.not(both[0].signing.kid, both[1].signing.kid, 'another database has its own key')
  t.equal(both[1].signing.kid, first.signing.kid)

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

t.test(
  'keys an older server kept in run/lease-keys.json are taken over: nobody is signed out by the upgrade',
  async t => {
    const runDir = tempDir(t)
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
    const kid = 'legacy-key'
    const legacy = [
      {
        kid,
        created: 1,
        retired: null,
        privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'EdDSA', use: 'sig' },
        publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' },
      },
    ]
    writeFileSync(join(runDir, 'lease-keys.json'), JSON.stringify(legacy), { mode: 0o600 })
    const keys = await openKeys(sqliteDatabase(t, runDir), 2, runDir)
    t.equal(keys.signing.kid, kid)
  },
)

t.test('the JWKS publishes Ed25519 public keys only', async t => {
  const clock = new ManualClock()
  const keys = await openKeys(sqliteDatabase(t), clock.now())
  const { keys: published } = keys.jwks(clock.now(), LEASE)
  t.equal(published.length, 1)
  t.match(published[0], { kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig', kid: keys.signing.kid, x: String })
  for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) t.notOk(secret in published[0]!, `no "${secret}" member`)
})

t.test('rotation: the new key signs, the old one stays published for one lease lifetime', async t => {
  const db = sqliteDatabase(t)
  const clock = new ManualClock()
  const keys = await openKeys(db, clock.now())
  const otherNode = await openKeys(db, clock.now())
  const leases = new LeaseService(keys, clock, LEASE)
  const oldKid = keys.signing.kid
  const { token: oldToken } = await leases.issue(user, 'sid-old')
  const head = await new RevocationStore(db).head()

  clock.advance(60)
  const newKid = await keys.rotate(clock.now(), LEASE)
  t.not(newKid, oldKid)
  t.equal(keys.signing.kid, newKid)
  t.match(await new RevocationStore(db).since(head), [{ kind: 'keys', subject: newKid }], 'every node hears of it')
  t.equal(await otherNode.reload(), true, 'and reloads')
  t.equal(otherNode.signing.kid, newKid)
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

  const reopened = await openKeys(db, clock.now())
  t.equal(reopened.signing.kid, newKid, 'the rotation survives a restart')

  clock.advance(LEASE)
  t.same(
    keys.jwks(clock.now(), LEASE).keys.map(k => k.kid),
    [newKid],
    'the old key goes once its leases have expired',
  )
  await keys.rotate(clock.now(), LEASE)
  t.notOk(
    (await db.sql.all<{ kid: string }>('SELECT kid FROM signing_keys')).some(k => k.kid === oldKid),
    'and is dropped from the database at the next rotation',
  )
})

t.test('keys rotated twice within one second: the newest signs ID tokens, on every node', async t => {
  const db = sqliteDatabase(t)
  const clock = new ManualClock()
  const keys = await openKeys(db, clock.now())
  for (let i = 0; i < 4; i++) await keys.rotate(clock.now(), LEASE)
  const newest = (await openKeys(db, clock.now())).providerJwks(clock.now(), LEASE)
  const first = newest.find(k => k.alg === 'RS256')
  t.same(first, keys.providerJwks(clock.now(), LEASE)[0], 'nodes agree')
  t.equal(
    keys.providerJwks(clock.now(), LEASE).filter(k => k.alg === 'RS256').length,
    5,
    'all generations of the lease lifetime published',
  )
  const current = await db.sql.one<{ material: string }>('SELECT material FROM signing_keys WHERE retired IS NULL')
  t.match(current!.material, first!.kid!, 'the first RS256 key is the current generation’s')
})
