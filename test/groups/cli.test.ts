import { randomUUID } from 'node:crypto'
import t from 'tap'
import { groupCommand } from '../../src/cli/groups.js'
import { groupFixture, outcome } from './fixture.js'

t.test('group create <path> --owner provider:id', async t => {
  const fx = groupFixture(t)
  const lines: string[] = []
  const print = (line: string) => lines.push(line)
  await groupCommand(['create', 'chat', '--owner', 'test:127.0.0.1'], fx, print)
  t.match(lines, [
    'created group chat',
    /^test:127\.0\.0\.1 \(user [0-9a-f-]{36}\) now owns chat \(group [0-9a-f-]{36}, membership [0-9a-f-]{36}\)$/,
  ])
  lines.length = 0
  await groupCommand(['create', 'chat', '--owner=test:127.0.0.1'], fx, print)
  t.match(lines, [/already owns chat .*nothing changed$/], 'idempotent')
  lines.length = 0
  await groupCommand(['create', 'apps/wiki', '--owner', 'oidc:corp:user:42'], fx, print)
  t.match(lines, ['created group apps', 'created group apps/wiki', /^oidc:corp:user:42 .* now owns apps\/wiki/])
  const owner = await fx.users.findByIdentity('oidc:corp', 'user:42')
  t.ok(owner && (await fx.groups.membership.isMember(owner.id, 'apps/wiki')), 'the OIDC provider name keeps its colon')
})

t.test('group create <path> --owner <user id>: an account with no provider identity, as a passkey makes', async t => {
  const fx = groupFixture(t)
  const lines: string[] = []
  const print = (line: string) => lines.push(line)
  const id = randomUUID()
  await fx.users.insert({ id, name: 'Passkey Person', picture: '' }, 1_000)
  await groupCommand(['create', 'club', '--owner', id.toUpperCase()], fx, print)
  t.match(lines, ['created group club', new RegExp(`^Passkey Person \\(user ${id}\\) now owns club `)])
  t.ok(await fx.groups.membership.isMember(id, 'club'), 'the account owns the group')
  t.equal((await fx.users.identities(id)).length, 0, 'no provider identity was made up for it')
  lines.length = 0
  await groupCommand(['create', 'club', '--owner', id], fx, print)
  t.match(lines, [/^Passkey Person .* already owns club .*nothing changed$/], 'idempotent')
  const missing = randomUUID()
  await t.rejects(groupCommand(['create', 'choir', '--owner', missing], fx, print), {
    code: 'LOGIN_ERR_NOT_FOUND',
    message: `no account has the id ${missing}`,
  })
  t.equal(await outcome(() => fx.groups.tree.require('choir')), 'LOGIN_ERR_NOT_FOUND', 'no group made for nobody')
})

t.test('usage errors are bad requests', async t => {
  const fx = groupFixture(t)
  const cases: [string[], RegExp][] = [
    [[], /usage: modular-login group create/],
    [['delete', 'chat'], /usage/],
    [['create'], /usage/],
    [['create', '--owner', 'test:x'], /usage/],
    [['create', 'chat'], /--owner is required/],
    [['create', 'chat', '--owner', 'nocolon'], /expected <provider>:<provider user id>/],
    [['create', 'chat', '--owner', 'test:x', '--force'], /unknown argument "--force"/],
    [['create', 'bad path', '--owner', 'test:x'], /namespace path/],
  ]
  for (const [args, message] of cases) {
    await t.rejects(
      groupCommand(args, fx, () => {}),
      { code: 'LOGIN_ERR_BAD_REQUEST', message },
      args.join(' '),
    )
  }
  t.equal(await outcome(() => fx.groups.tree.require('chat')), 'LOGIN_ERR_NOT_FOUND', 'nothing was created')
})
