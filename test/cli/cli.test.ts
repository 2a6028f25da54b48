import t from 'tap'
import { existsSync, writeFileSync } from 'node:fs'
import { createServer, type Socket } from 'node:net'
import { once } from 'node:events'
import { join } from 'node:path'
import { buildApp } from '../../src/app.js'
import { parseIdentity } from '../../src/auth/identity.js'
import { signIn, testConfig } from '../helpers/app.js'
import { runCli } from '../helpers/cli.js'
import { passkeyAccount, passkeySession, storedPasskey } from '../helpers/passkeys.js'

/** Runs the CLI against `runDir` (with extra settings in `env`) and captures what it prints. */
function cliWith(env: Record<string, string>, runDir: string, ...argv: string[]) {
  return runCli({ ...env, LOGIN_RUN_DIR: runDir }, ...argv)
}

function cli(runDir: string, ...argv: string[]) {
  return cliWith({}, runDir, ...argv)
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
  t.equal(await again.ctx.users.findByIdentity('test', 'alice'), undefined)

  const missing = await cli(config.runDir, 'user', 'delete', 'test:alice')
  t.equal(missing.code, 1)
  t.match(missing.err, /no account signs in as test:alice/)
})

t.test(
  'user show lists the ways into an account, passkeys included; an account made with one is named by its id',
  async t => {
    const config = testConfig(t)
    const app = await buildApp(config, { logger: false })
    await signIn(app, config, 'bob')
    const bob = (await app.ctx.users.findByIdentity('test', 'bob'))!
    await storedPasskey(app, bob.id, { name: 'Passkey on iPhone', backupEligible: true })
    const { user: zoe } = await passkeyAccount(app, 'Zoë')
    const cookie = await passkeySession(app, zoe)
    await app.close()

    const shown = await cli(config.runDir, 'user', 'show', 'test:bob')
    t.equal(shown.code, 0, shown.err)
    t.match(shown.out, new RegExp(`^user ${bob.id} \\(bob\\)\n  identity test:bob, linked `))
    t.match(shown.out, /\n {2}passkey Passkey on iPhone \([0-9a-f-]{36}\), synced, added \d{4}-.*, last used never\n/)
    t.match(shown.out, /\n {2}1 active session\n$/)

    const passkeyOnly = await cli(config.runDir, 'user', 'show', zoe.id)
    t.equal(passkeyOnly.code, 0, passkeyOnly.err)
    t.notMatch(passkeyOnly.out, 'identity', 'no provider identity')
    t.match(passkeyOnly.out, /passkey Passkey on Linux \(.*\), one device/)

    const deleted = await cli(config.runDir, 'user', 'delete', zoe.id)
    t.equal(deleted.code, 0, deleted.err)
    t.match(deleted.out, /passkeys removed/)
    const again = await buildApp(config, { logger: false })
    t.teardown(() => again.close())
    t.equal((await again.inject({ url: '/login/me', headers: { cookie } })).statusCode, 401, 'signed out')
    t.same(await again.ctx.passkeys.passkeys.list(zoe.id), [], 'its passkeys are gone')
    const unknown = await cli(config.runDir, 'user', 'show', zoe.id)
    t.equal(unknown.code, 1)
    t.match(unknown.err, /no account has the id/)
    t.match((await cli(config.runDir, 'user', 'show')).err, /usage: modular-login user show\|delete/)
  },
)

t.test('usage and unknown commands', async t => {
  const help = await cli('/nonexistent', 'help')
  t.equal(help.code, 0)
  t.match(help.out, /usage: modular-login <command>/)
  t.match(help.out, /group create <path> --owner <provider>:<id> \| <user id> {2,}create a namespace/)
  t.match(help.out, /app add\|list\|allow\|deny\|channel\|remove … {2,}register client applications/)
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

t.test('commands that sign nobody in contact no sign-in provider, even one that never answers', async t => {
  const config = testConfig(t)
  // An OpenID provider that accepts connections and never says a word: discovering it would hang.
  const held: Socket[] = []
  const silent = createServer(socket => held.push(socket))
  silent.listen(0, '127.0.0.1')
  await once(silent, 'listening')
  t.teardown(() => {
    for (const socket of held) socket.destroy()
    silent.close()
  })
  const { port } = silent.address() as { port: number }
  const credentials = join(config.runDir, 'credentials.json')
  writeFileSync(
    credentials,
    JSON.stringify({ oidc: { corp: { issuer: `http://127.0.0.1:${port}/realm`, id: 'login', secret: 'x' } } }),
    { mode: 0o600 },
  )
  // Longer than the test may run: a command that waited for discovery would not finish.
  const env = { LOGIN_CREDENTIALS: credentials, LOGIN_PROVIDER_TIMEOUT_MS: '3600000' }

  const added = await cliWith(env, config.runDir, '--create', 'app', 'add', 'chat')
  t.equal(added.code, 0, added.err)
  t.match(JSON.parse(added.out), { id: String, secret: String })
  const listed = await cliWith(env, config.runDir, 'app', 'list')
  t.equal(listed.code, 0, listed.err)
  t.match(listed.out, /^chat\t/)
  const group = await cliWith(env, config.runDir, 'group', 'create', 'chat', '--owner', 'test:alice')
  t.equal(group.code, 0, group.err)
  t.equal(held.length, 0, 'the provider was never contacted')
})
