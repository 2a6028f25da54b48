import t from 'tap'
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { KeyRing } from '../../src/auth/keys.js'
import { tempDir } from '../helpers/app.js'
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

  // What `modular-login keys rotate` does: rewrite the key file; running servers notice within a second.
  const cli = await KeyRing.open(server.config.runDir, server.clock.now())
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

t.test('a key file from before the OpenID Provider gains an ID-token key when opened', async t => {
  const runDir = tempDir(t)
  const now = Math.floor(Date.now() / 1000)
  const first = await KeyRing.open(runDir, now)
  const path = join(runDir, 'lease-keys.json')
  const stored = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>[]
  writeFileSync(path, JSON.stringify(stored.map(({ idToken: _dropped, ...key }) => key)))

  const reopened = await KeyRing.open(runDir, now)
  t.equal(reopened.signing.kid, first.signing.kid, 'the lease key is kept')
  t.same(
    reopened.providerJwks(now, 3600).map(k => k.alg),
    ['RS256', 'EdDSA'],
    'and the provider its ID-token keys',
  )
  t.same(
    reopened.jwks(now, 3600).keys.map(k => k.kid),
    [first.signing.kid],
    'the lease key set stays as it was',
  )
  const rewritten = JSON.parse(readFileSync(path, 'utf8')) as { idToken?: unknown }[]
  t.ok(rewritten[0]!.idToken, 'and written to the file, for the other processes')
  t.equal((statSync(path).mode & 0o777).toString(8), '600')
})
