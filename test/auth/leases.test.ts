import t from 'tap'
import { createLocalJWKSet, decodeProtectedHeader, generateKeyPair, jwtVerify, SignJWT, UnsecuredJWT } from 'jose'
import { LeaseService } from '../../src/auth/leases.js'
import { ManualClock } from '../../src/clock.js'
import { startApp } from '../helpers/app.js'
import { tempDir } from '../helpers/temp-dir.js'
import { openKeys, sqliteDatabase } from '../helpers/database.js'
import { runDirWithKeys } from '../helpers/signing-keys.js'

const LEASE = 600
const alice = {
  id: '6f1c0c1e-7d55-4c47-9a39-2a4c3e3f6a10',
  name: 'Alice Ünïcode',
  picture: 'https://example.com/a.png',
}

async function subject(tt: Parameters<typeof tempDir>[0]) {
  const clock = new ManualClock()
  const keys = await openKeys(sqliteDatabase(tt), clock.now(), runDirWithKeys(tt))
  return { clock, keys, leases: new LeaseService(keys, clock, LEASE) }
}

/** Flips one character of the given part (0 header, 1 payload, 2 signature) of a JWT. */
function tamper(token: string, part: 0 | 1 | 2): string {
  const parts = token.split('.')
  const text = parts[part]!
  const at = Math.floor(text.length / 2)
  parts[part] = text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1)
  return parts.join('.')
}

t.test('issue: an EdDSA JWT with sub, sid, name, picture, iat and exp', async t => {
  const { clock, keys, leases } = await subject(t)
  const { token, claims } = await leases.issue(alice, 'sid-1')
  const now = clock.now()
  t.same(claims, { sub: alice.id, sid: 'sid-1', name: alice.name, picture: alice.picture, iat: now, exp: now + LEASE })
  t.same(decodeProtectedHeader(token), { alg: 'EdDSA', kid: keys.signing.kid, typ: 'JWT' })
  const { payload } = await jwtVerify(token, createLocalJWKSet(keys.jwks(now, LEASE)), {
    currentDate: new Date(now * 1000),
  })
  t.same(payload, claims, 'nothing else travels in the lease')
})

t.test('check: valid until exp, then expired with its authentic claims', async t => {
  const cases: { advance: number; status: string }[] = [
    { advance: 0, status: 'valid' },
    { advance: LEASE - 1, status: 'valid' },
    { advance: LEASE, status: 'expired' },
    { advance: 10 * LEASE, status: 'expired' },
  ]
  for (const { advance, status } of cases) {
    for (const memoised of [false, true]) {
      const { clock, keys, leases } = await subject(t)
      const { token, claims } = await leases.issue(alice, 'sid-1')
      if (memoised) t.equal((await leases.check(token)).status, 'valid', 'checked once while fresh')
      clock.advance(advance)
      // A fresh service has no memo: the signature and exp are checked by jose.
      const checker = memoised ? leases : new LeaseService(keys, clock, LEASE)
      t.same(await checker.check(token), { status, claims }, `+${advance}s, ${memoised ? 'memoised' : 'first sight'}`)
    }
  }
})

t.test('check: anything not signed by this server is invalid', async t => {
  const { clock, leases } = await subject(t)
  const { token } = await leases.issue(alice, 'sid-1')
  const other = await subject(t)
  const { token: foreign } = await other.leases.issue(alice, 'sid-1')
  const { privateKey: stranger } = await generateKeyPair('EdDSA', { crv: 'Ed25519' })
  const now = clock.now()
  const claimsOf = { sid: 'sid-1', name: alice.name, picture: '' }
  const forged = await new SignJWT(claimsOf)
    .setProtectedHeader({ alg: 'EdDSA', kid: decodeProtectedHeader(token).kid! })
    .setSubject(alice.id)
    .setIssuedAt(now)
    .setExpirationTime(now + 60)
    .sign(stranger)
  const hmac = await new SignJWT(claimsOf)
    .setProtectedHeader({ alg: 'HS256', kid: decodeProtectedHeader(token).kid! })
    .setSubject(alice.id)
    .setIssuedAt(now)
    .setExpirationTime(now + 60)
    .sign(new TextEncoder().encode('x'.repeat(32)))
  const unsecured = new UnsecuredJWT(claimsOf)
    .setSubject(alice.id)
    .setIssuedAt(now)
    .setExpirationTime(now + 60)
    .encode()

  const cases: Record<string, string> = {
    empty: '',
    'one word': 'garbage',
    'three dots': 'a.b.c',
    'only dots': '..',
    'not base64': '!!!.???.***',
    'tampered header': tamper(token, 0),
    'tampered payload': tamper(token, 1),
    'tampered signature': tamper(token, 2),
    'no signature': token.split('.').slice(0, 2).join('.') + '.',
    'signed by another server': foreign,
    'signed by a stranger with our kid': forged,
    'HS256 with a guessed secret': hmac,
    'alg none': unsecured,
    huge: 'A'.repeat(100_000),
  }
  // Memoised first: a tampered header or payload keeps the signature, which is where the memo looks first.
  t.equal((await leases.check(token)).status, 'valid')
  for (const [name, candidate] of Object.entries(cases)) {
    t.same(await leases.check(candidate), { status: 'invalid' }, name)
  }
  t.equal((await leases.check(token)).status, 'valid', 'and the authentic lease is still known')
})

t.test('check: an authentic token without the lease claims is invalid', async t => {
  const { clock, keys, leases } = await subject(t)
  const now = clock.now()
  const sign = (claims: Record<string, unknown>, sub?: string) => {
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA', kid: keys.signing.kid })
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
    return (sub ? jwt.setSubject(sub) : jwt).sign(keys.signing.privateKey)
  }
  const cases: Record<string, Promise<string>> = {
    'no sid': sign({ name: 'a', picture: '' }, alice.id),
    'no sub': sign({ sid: 's', name: 'a', picture: '' }),
    'numeric sid': sign({ sid: 1, name: 'a', picture: '' }, alice.id),
    'no name': sign({ sid: 's', picture: '' }, alice.id),
    'no picture': sign({ sid: 's', name: 'a' }, alice.id),
  }
  for (const [name, token] of Object.entries(cases))
    t.same(await leases.check(await token), { status: 'invalid' }, name)
})

t.test('the JWKS endpoint lets an app verify a lease on its own', async t => {
  const { app, signIn } = await startApp(t)
  const cookie = await signIn('alice')
  const token = cookie.slice(cookie.indexOf('=') + 1)
  const response = await app.inject({ url: '/login/.well-known/jwks.json' })
  t.equal(response.statusCode, 200)
  t.match(response.headers['content-type'], /^application\/json/)
  t.match(response.headers['cache-control'], /max-age=\d+/)
  const jwks = response.json()
  t.notOk(
    jwks.keys.some((k: Record<string, unknown>) => 'd' in k),
    'no private key material',
  )

  const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), { algorithms: ['EdDSA'] })
  const me = (await app.inject({ url: '/login/me', headers: { cookie } })).json()
  t.equal(protectedHeader.alg, 'EdDSA')
  t.match(payload, { sub: me.id, name: 'alice', picture: '', sid: String, iat: Number, exp: Number })
  t.equal(payload.exp! - payload.iat!, 3600, 'lease lifetime is the configured default')
  const sessions = (await app.inject({ url: '/login/sessions', headers: { cookie } })).json()
  t.equal(payload.sid, sessions[0].sid, 'sid is the public session id')
})
