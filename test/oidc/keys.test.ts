import t from 'tap'
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { exportJWK, generateKeyPair } from 'jose'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { sqlitePath } from '../../src/storage/open.js'
import { SqliteDatabase } from '../../src/storage/sqlite.js'
import { tempDir } from '../helpers/temp-dir.js'
import { openKeys, sqliteDatabase } from '../helpers/database.js'
import { Browser, oidcSetup, signInTo } from './fixture.js'

interface Jwk {
  kid: string
  alg: string
}

t.test('keys rotate (from another process) rotates the ID-token key too; the old one stays published', async t => {
  const setup = await oidcSetup(t)
  const { server, issuer, app } = setup
  const jwksUrl = `${issuer}/oidc/jwks`
  const published = async () => ((await (await fetch(jwksUrl)).json()) as { keys: Jwk[] }).keys
  const browser = new Browser(await server.signIn('lena'))

  const before = await signInTo(setup, browser)
  const oldKid = decodeProtectedHeader(before.id_token!).kid!
  t.same(
    (await published()).filter(k => k.alg === 'RS256').map(k => k.kid),
    [oldKid],
    'signed with the published RS256 key',
  )

  // What `modular-login keys rotate` does, from another process: the server hears of it through the database.
  const cliDatabase = new SqliteDatabase(sqlitePath(server.config.runDir))
  t.teardown(() => cliDatabase.close())
  const cli = await openKeys(cliDatabase, server.clock.now())
  await cli.rotate(server.clock.now(), server.config.leaseSeconds)
  const deadline = Date.now() + 10_000
  while ((await published()).filter(k => k.alg === 'RS256').length < 2) {
    if (Date.now() > deadline) throw new Error('the rotation was not picked up')
    await new Promise(resolve => setTimeout(resolve, 100))
  }

  const after = await signInTo(setup, browser)
  const newKid = decodeProtectedHeader(after.id_token!).kid!
  t.not(newKid, oldKid, 'new ID tokens are signed with the new key')
  t.same(
    (await published())
      .filter(k => k.alg === 'RS256')
      .map(k => k.kid)
      .sort(),
    [oldKid, newKid].sort(),
    'both published',
  )
  const jwks = createRemoteJWKSet(new URL(jwksUrl))
  for (const tokens of [before, after]) {
    await jwtVerify(tokens.id_token!, jwks, { issuer, audience: app.id, algorithms: ['RS256'] })
  }
  t.pass('ID tokens of either key verify against the key set')
})

t.test('keys from before the OpenID Provider gain ID-token keys when opened', async t => {
  const runDir = tempDir(t)
  const now = Math.floor(Date.now() / 1000)
  // An older server's key file: one lease key, no ID-token keys.
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
  const kid = 'lease-key-of-old'
  const legacy = {
    kid,
    created: now - 10,
    retired: null,
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'EdDSA', use: 'sig' },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' },
  }
  writeFileSync(join(runDir, 'lease-keys.json'), JSON.stringify([legacy]))
  const db = sqliteDatabase(t, runDir)
  const opened = await openKeys(db, now, runDir)
  t.equal(opened.signing.kid, kid, 'the lease key is kept')
  t.same(
    opened.providerJwks(now, 3600).map(k => k.alg),
    ['RS256', 'EdDSA'],
    'and the provider gets its ID-token keys',
  )
  t.same(
    opened.jwks(now, 3600).keys.map(k => k.kid),
    [kid],
    'the lease key set stays as it was',
  )
  const otherNode = await openKeys(db, now, runDir)
  t.same(
    otherNode.providerJwks(now, 3600).map(k => k.kid),
    opened.providerJwks(now, 3600).map(k => k.kid),
    'kept in the database, for the other nodes',
  )
})
