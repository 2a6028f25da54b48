// The OpenID Provider's store, on every storage engine.
import t, { type Test } from 'tap'
import type { Database } from '../../src/storage/database.js'
import { OidcStore } from '../../src/storage/oidc.js'
import { storageEngines, type EngineUnderTest } from '../helpers/engines.js'
import type { Teardown } from '../helpers/teardown.js'

const NOW = 1_800_000_000

const { engines, skipped } = await storageEngines(t)
if (skipped) t.comment(`PostgreSQL left out: ${skipped}`)

for (const engine of engines) t.test(engine.engine, async t => conformance(t, engine))

async function conformance(t: Test, engine: EngineUnderTest) {
  /** A store on a fresh database; `again` opens another connection to it, as a second process or node would. */
  async function store(t: Teardown, again?: Database) {
    const db = again ? await engine.another(t, again) : await engine.open(t)
    return { store: new OidcStore(db), db }
  }

  t.test('artefacts are kept until they expire, replaced whole, and deleted', async t => {
    const { store: oidc } = await store(t)
    await oidc.upsert('AccessToken', 'a1', { jti: 'a1', grantId: 'g1', scope: 'openid' }, NOW + 60)
    t.same(await oidc.find('AccessToken', 'a1', NOW), { jti: 'a1', grantId: 'g1', scope: 'openid' })
    t.equal(await oidc.find('AccessToken', 'a1', NOW + 60), undefined, 'not answered once expired')
    t.equal(await oidc.find('RefreshToken', 'a1', NOW), undefined, 'ids are per model')
    await oidc.upsert('AccessToken', 'a1', { jti: 'a1', scope: 'openid profile' }, NOW + 120)
    t.same(await oidc.find('AccessToken', 'a1', NOW + 100), { jti: 'a1', scope: 'openid profile' })
    await oidc.destroy('AccessToken', 'a1')
    t.equal(await oidc.find('AccessToken', 'a1', NOW), undefined)
  })

  t.test('single use: one consume wins, even across connections', async t => {
    const { store: first, db } = await store(t)
    const { store: second } = await store(t, db)
    await first.upsert('AuthorizationCode', 'c1', { jti: 'c1', grantId: 'g1' }, NOW + 60)
    const results = await Promise.all([
      first.consume('AuthorizationCode', 'c1', NOW),
      second.consume('AuthorizationCode', 'c1', NOW),
    ])
    t.same(results.sort(), [false, true])
    t.match(await first.find('AuthorizationCode', 'c1', NOW), { jti: 'c1', consumed: NOW }, 'the payload says when')
    t.equal(await first.consume('AuthorizationCode', 'missing', NOW), false)
  })

  t.test('grants: revoking one model or the whole grant', async t => {
    const { store: oidc } = await store(t)
    await oidc.upsert('Grant', 'g1', { jti: 'g1' }, NOW + 600)
    await oidc.upsert('AccessToken', 'a1', { grantId: 'g1' }, NOW + 60)
    await oidc.upsert('RefreshToken', 'r1', { grantId: 'g1' }, NOW + 600)
    await oidc.upsert('RefreshToken', 'r2', { grantId: 'g2' }, NOW + 600)
    await oidc.revokeByGrantId('AccessToken', 'g1')
    t.equal(await oidc.find('AccessToken', 'a1', NOW), undefined)
    t.ok(await oidc.find('RefreshToken', 'r1', NOW), 'other models stay')
    await oidc.revokeGrant('g1')
    t.equal(await oidc.find('RefreshToken', 'r1', NOW), undefined)
    t.equal(await oidc.find('Grant', 'g1', NOW), undefined)
    t.ok(await oidc.find('RefreshToken', 'r2', NOW), 'other grants stay')
  })

  t.test('sessions by uid: found, and taken once', async t => {
    const { store: first, db } = await store(t)
    const { store: second } = await store(t, db)
    await first.upsert('Session', 'cookie1', { uid: 'sid1', accountId: 'u1' }, NOW + 600)
    await first.upsert('Session', 'cookie2', { uid: 'sid2', accountId: 'u1' }, NOW + 600)
    t.match(await first.findSessionByUid('sid1', NOW), { uid: 'sid1', accountId: 'u1' })
    t.equal(await first.findSessionByUid('sid1', NOW + 600), undefined, 'not once expired')
    const [a, b] = await Promise.all([first.takeSessions('sid1'), second.takeSessions('sid1')])
    t.same([a.length, b.length].sort(), [0, 1], 'exactly one taker')
    t.equal(await first.findSessionByUid('sid1', NOW), undefined)
    t.ok(await first.findSessionByUid('sid2', NOW), 'others stay')
  })

  t.test('ended sessions: revoked, gone, or past a timeout cut-off', async t => {
    const { store: oidc, db } = await store(t)
    await db.sql.run(`INSERT INTO users (id, name, picture, created) VALUES ('u1', 'u', '', 0)`)
    const session = (...values: [string, number, number, number | null]) =>
      db.sql.run(
        `INSERT INTO sessions (sid, user_id, provider, ip, user_agent, created, refreshed, revoked)
       VALUES (?, 'u1', 'test', '', '', ?, ?, ?)`,
        values,
      )
    await session('live', NOW - 10, NOW - 10, null)
    await session('idle', NOW - 10, NOW - 500, null)
    await session('old', NOW - 5000, NOW - 10, null)
    await session('revoked', NOW - 10, NOW - 10, NOW - 5)
    for (const sid of ['live', 'idle', 'old', 'revoked', 'gone']) {
      await oidc.upsert('Session', `cookie-${sid}`, { uid: sid, accountId: 'u1' }, NOW + 600)
    }
    const ended = async (refreshedBefore: number | null, createdBefore: number | null) =>
      (await oidc.endedSessions({ refreshedBefore, createdBefore })).sort((x, y) => x.sid.localeCompare(y.sid))
    t.same(await ended(null, null), [
      { sid: 'gone', userId: null, revoked: true },
      { sid: 'revoked', userId: 'u1', revoked: true },
    ])
    t.same(
      (await ended(NOW - 100, NOW - 1000)).map(s => s.sid),
      ['gone', 'idle', 'old', 'revoked'],
    )
  })

  t.test('the sweep deletes what has expired', async t => {
    const { store: oidc } = await store(t)
    await oidc.upsert('Interaction', 'i1', {}, NOW + 10)
    await oidc.upsert('AuthorizationCode', 'c1', {}, NOW + 60)
    await oidc.upsert('Session', 's1', { uid: 'x' }, NOW + 600)
    t.equal(await oidc.sweep(NOW + 60), 2)
    t.ok(await oidc.find('Session', 's1', NOW + 60))
    t.equal(await oidc.sweep(NOW + 60), 0)
  })
}
