// `keys rotate` signs nobody out: a retired key stops being published to apps
// after one lease lifetime, but the server still verifies the leases it signed
// when they come back for renewal, as long as their sessions can live.
import t from 'tap'
import { decodeProtectedHeader } from 'jose'
import type { FastifyInstance } from 'fastify'
import { keysCommand } from '../../src/cli/keys.js'
import { leaseCookie, startApp } from '../helpers/app.js'

const LEASE = 20

const kidOf = (cookie: string) => decodeProtectedHeader(cookie.split('=')[1]!).kid
const published = async (app: FastifyInstance) =>
  (await app.inject({ url: '/login/.well-known/jwks.json' })).json().keys.map((k: { kid: string }) => k.kid)

async function rotate(app: FastifyInstance): Promise<void> {
  await keysCommand(['rotate'], app.ctx, () => {})
}

t.test('an idle session renews its lease of a retired key long after the key left the JWKS', async t => {
  const { app, config, clock, signIn } = await startApp(t, { leaseSeconds: LEASE })
  const cookie = await signIn('idle')
  const oldKid = kidOf(cookie)
  await rotate(app)
  t.ok((await published(app)).includes(oldKid), 'the retired key is published for the leases it signed')

  clock.advance(5 * LEASE)
  t.notOk((await published(app)).includes(oldKid), 'and no longer once they have all expired')
  app.ctx.leases.forget()
  for (const url of ['/login/me', '/login/check']) {
    const response = await app.inject({ url, headers: { cookie } })
    t.equal(response.statusCode, 200, `${url}: the session is still signed in`)
    const renewed = leaseCookie(config, response.headers['set-cookie'])
    t.equal(kidOf(renewed), app.ctx.keys.signing.kid, `${url}: the renewed lease is signed with the new key`)
  }
})

t.test('renewals of a retired key end where the session would have ended anyway', async t => {
  const IDLE = 10 * LEASE
  const { app, clock, signIn } = await startApp(t, { leaseSeconds: LEASE, idleSeconds: IDLE })
  const active = await signIn('active')
  const idle = await signIn('idle')
  await rotate(app)

  clock.advance(IDLE - LEASE)
  t.equal(
    (await app.inject({ url: '/login/me', headers: { cookie: active } })).statusCode,
    200,
    'within the idle timeout',
  )

  clock.advance(2 * LEASE)
  t.equal((await app.inject({ url: '/login/me', headers: { cookie: idle } })).statusCode, 401, 'past it: signed out')
  await rotate(app)
  const kept = await app.ctx.db.sql.all<{ kid: string }>('SELECT kid FROM signing_keys')
  t.equal(kept.length, 2, 'so the next rotation drops the first key from the database')
  t.notOk(
    kept.some(k => k.kid === kidOf(idle)),
    'the key gone is the first one',
  )
})
