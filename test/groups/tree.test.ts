import t from 'tap'
import { ADMIN } from '../../src/groups/actor.js'
import { groupFixture, outcome } from './fixture.js'

t.test('namespaces are created with an owner who has not signed in yet', async t => {
  const fx = groupFixture(t)
  const first = fx.groups.tree.ensureNamespace('chat', 'test', '127.0.0.1')
  t.same(first.createdGroups, ['chat'])
  t.equal(first.createdMembership, true)
  t.equal(first.group.parentId, null)
  t.match(first.membership, {
    userId: first.owner.id,
    path: 'chat',
    until: null,
    spots: null,
    deauthorizes: 2,
    dos: null,
    invitationId: null,
    active: true,
  })
  t.equal(first.owner.name, '127.0.0.1', 'a placeholder account named after the provider id')

  const signedIn = fx.users.upsertFromProfile(
    { provider: 'test', providerUserId: '127.0.0.1', name: 'Owner', picture: '' },
    fx.clock.now(),
  )
  t.equal(signedIn.id, first.owner.id, 'their first sign-in lands on the same account')
  t.ok(fx.groups.membership.isMember(signedIn.id, 'chat'))
})

t.test('ensureNamespace is idempotent; another owner only when asked for', async t => {
  const fx = groupFixture(t)
  const first = fx.groups.tree.ensureNamespace('chat', 'test', 'owner')
  const again = fx.groups.tree.ensureNamespace('chat', 'test', 'owner')
  t.same(again.createdGroups, [])
  t.equal(again.createdMembership, false)
  t.equal(again.membership.id, first.membership.id)
  t.equal(again.group.id, first.group.id)
  t.equal(
    outcome(() => fx.groups.tree.ensureNamespace('chat', 'github', '12345')),
    'LOGIN_ERR_CONFLICT',
    'a group owned by someone else gets no second owner by mistake',
  )
  t.equal(fx.users.findByIdentity('github', '12345'), undefined, 'and nobody was created for it')
  const other = fx.groups.tree.ensureNamespace('chat', 'github', '12345', ADMIN, { addOwner: true })
  t.equal(other.createdMembership, true)
  t.not(other.owner.id, first.owner.id)
  t.equal(fx.groups.membership.powerOver(other.owner.id, 'chat/x'), 2)
})

t.test('paths create their missing ancestors', async t => {
  const fx = groupFixture(t)
  const nested = fx.groups.tree.ensureNamespace('apps/wiki/admin', 'test', 'owner')
  t.same(nested.createdGroups, ['apps', 'apps/wiki', 'apps/wiki/admin'])
  const wiki = fx.groups.tree.require('apps/wiki')
  t.equal(nested.group.parentId, wiki.id)
  t.equal(fx.groups.tree.require('apps').id, wiki.parentId)
  t.equal(fx.groups.tree.find(wiki.id)?.path, 'apps/wiki', 'groups are found by id too')
  t.equal(fx.groups.tree.find(wiki.id.toUpperCase())?.path, 'apps/wiki')
  const more = fx.groups.tree.ensurePath('apps/wiki/pages/home', null, fx.clock.now())
  t.same(
    more.created.map(g => g.path),
    ['apps/wiki/pages', 'apps/wiki/pages/home'],
  )
  t.ok(fx.groups.membership.isMember(nested.owner.id, 'apps/wiki/admin'))
  t.notOk(fx.groups.membership.isMember(nested.owner.id, 'apps/wiki'), 'owning a subtree grants nothing above it')
})

t.test('bad input is a bad request', async t => {
  const fx = groupFixture(t)
  const cases: [() => unknown, string, string][] = [
    [() => fx.groups.tree.ensureNamespace('', 'test', 'x'), 'LOGIN_ERR_BAD_REQUEST', 'empty path'],
    [() => fx.groups.tree.ensureNamespace('a b', 'test', 'x'), 'LOGIN_ERR_BAD_REQUEST', 'space in name'],
    [() => fx.groups.tree.ensureNamespace('chat/', 'test', 'x'), 'LOGIN_ERR_BAD_REQUEST', 'trailing slash'],
    [() => fx.groups.tree.ensureNamespace('chat', '', 'x'), 'LOGIN_ERR_BAD_REQUEST', 'no provider'],
    [() => fx.groups.tree.ensureNamespace('chat', 'Not A Provider', 'x'), 'LOGIN_ERR_BAD_REQUEST', 'bad provider'],
    [() => fx.groups.tree.ensureNamespace('chat', 'test', ''), 'LOGIN_ERR_BAD_REQUEST', 'no provider user id'],
    [() => fx.groups.tree.ensureNamespace('chat', 'test', 'a\u0000b'), 'LOGIN_ERR_BAD_REQUEST', 'control character'],
    [() => fx.groups.tree.ensureNamespace('chat', 'oidc:corp', 'sub-1'), 'ok', 'an OIDC provider'],
    [() => fx.groups.tree.require('missing'), 'LOGIN_ERR_NOT_FOUND', 'unknown group'],
  ]
  for (const [fn, code, why] of cases) t.equal(outcome(fn), code, why)
})
