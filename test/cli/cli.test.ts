import t from 'tap'
import { buildApp } from '../../src/app.js'
import { main } from '../../src/cli/index.js'
import { parseIdentity } from '../../src/cli/user.js'
import { signIn, testConfig } from '../helpers/app.js'

/** Runs the CLI against `runDir` and captures what it prints. */
async function cli(runDir: string, ...argv: string[]) {
  const out: string[] = []
  const err: string[] = []
  const write = { out: process.stdout.write, err: process.stderr.write }
  process.env.LOGIN_RUN_DIR = runDir
  process.env.LOGIN_LOG_LEVEL = 'silent'
  process.stdout.write = ((chunk: string) => {
    out.push(String(chunk))
    return true
  }) as typeof process.stdout.write
  process.stderr.write = ((chunk: string) => {
    err.push(String(chunk))
    return true
  }) as typeof process.stderr.write
  try {
    const code = await main(argv)
    return { code, out: out.join(''), err: err.join('') }
  } finally {
    process.stdout.write = write.out
    process.stderr.write = write.err
    delete process.env.LOGIN_RUN_DIR
    delete process.env.LOGIN_LOG_LEVEL
  }
}

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
  t.equal(again.ctx.users.findByIdentity('test', 'alice'), undefined)

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
