import t from 'tap'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { buildApp } from '../../src/app.js'
import { parseIdentity } from '../../src/auth/identity.js'
import { signIn, testConfig } from '../helpers/app.js'
import { cli } from '../helpers/cli.js'

t.test('parseIdentity splits provider and id, keeping oidc names whole', async t => {
  t.same(parseIdentity('test:127.0.0.1'), { provider: 'test', providerUserId: '127.0.0.1' })
  t.same(parseIdentity('oidc:corp:abc:def'), { provider: 'oidc:corp', providerUserId: 'abc:def' })
  for (const bad of ['', 'alice', ':x', 'test:']) {
    t.throws(() => parseIdentity(bad), { code: 'LOGIN_ERR_BAD_REQUEST' }, bad)
  }
})

t.test('user delete removes the account and revokes its sessions', async t => {
  const config = testConfig(t)
  const app = await buildApp(config, { logger: false })
  const cookie = await signIn(app, config, 'alice')
  await app.close()

  const deleted = await cli(config.runDir, 'user', 'delete', 'test:alice')
  t.equal(deleted.code, 0, deleted.err)
  t.match(deleted.out, /deleted user .* \(alice\)/)

  const again = await buildApp(config, { logger: false })
  t.teardown(() => again.close())
  t.equal(
    (await again.inject({ url: '/login/me', headers: { cookie } })).statusCode,
    401,
    'the old lease no longer signs in',
  )
  t.equal(await again.ctx.users.findByIdentity('test', 'alice'), undefined)

  const missing = await cli(config.runDir, 'user', 'delete', 'test:alice')
  t.equal(missing.code, 1)
  t.match(missing.err, /no account signs in as test:alice/)
})

t.test('usage and unknown commands', async t => {
  const help = await cli('/nonexistent', 'help')
  t.equal(help.code, 0)
  t.match(help.out, /usage: modular-login <command>/)
  const unknown = await cli('/nonexistent', 'frobnicate')
  t.equal(unknown.code, 2)
})

t.test('keys rotate keeps the old key published', async t => {
  const config = testConfig(t)
  const before = await buildApp(config, { logger: false })
  const cookie = await signIn(before, config, 'bob')
  const oldKeys = before.ctx.keys.jwks(before.ctx.clock.now(), config.leaseSeconds).keys.map(k => k.kid)
  await before.close()

  const rotated = await cli(config.runDir, 'keys', 'rotate')
  t.equal(rotated.code, 0, rotated.err)

  const after = await buildApp(config, { logger: false })
  t.teardown(() => after.close())
  const published = (await after.inject({ url: '/login/.well-known/jwks.json' }))
    .json()
    .keys.map((k: { kid: string }) => k.kid)
  t.equal(published.length, 2)
  t.ok(
    oldKeys.every((kid: string | undefined) => published.includes(kid)),
    'the old key is still published',
  )
  t.equal(
    (await after.inject({ url: '/login/me', headers: { cookie } })).statusCode,
    200,
    'leases of the old key still verify',
  )
})

t.test('the CLI says which database it opened, and does not start a new one by accident', async t => {
  const config = testConfig(t)
  const database = join(config.runDir, 'login.sqlite')
  const refused = await cli(config.runDir, 'group', 'create', 'chat', '--owner', 'test:alice')
  t.equal(refused.code, 1, 'refused')
  t.match(refused.err, `no database at ${database}`)
  t.match(refused.err, /LOGIN_RUN_DIR.*--create/)
  t.equal(refused.out, '', 'nothing done')
  t.notOk(existsSync(database), 'and no database left behind')

  const created = await cli(config.runDir, '--create', 'group', 'create', 'chat', '--owner', 'test:alice')
  t.equal(created.code, 0, created.err)
  t.match(created.err, `creating the database ${database}`)
  t.match(created.out, /now owns chat/)

  const again = await cli(config.runDir, 'app', 'add', 'chat')
  t.equal(again.code, 0, again.err)
  t.match(again.err, `using the database ${database}`)
  t.match(JSON.parse(again.out), { id: String, secret: String }, 'stdout stays the command’s own output')
})

t.test('an unknown command names itself', async t => {
  const unknown = await cli('/nonexistent', 'frobnicate', 'now')
  t.equal(unknown.code, 2)
  t.match(unknown.err, 'modular-login: unknown command "frobnicate"')
  t.match(unknown.err, /usage: modular-login/)
})
