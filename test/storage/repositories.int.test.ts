// Every repository answers the same on every storage engine: what the services above rely on.
import t, { type Test } from 'tap'
import type { Database } from '../../src/storage/database.js'
import { AppNamespaceStore } from '../../src/storage/app-namespaces.js'
import { AppStore } from '../../src/storage/apps.js'
import { AttemptCounterStore } from '../../src/storage/attempt-counters.js'
import { GroupEventStore } from '../../src/storage/group-events.js'
import { GroupStore } from '../../src/storage/groups.js'
import { InvitationStore } from '../../src/storage/invitations.js'
import { MembershipStore } from '../../src/storage/memberships.js'
import { OAuthFlowStore } from '../../src/storage/oauth-flows.js'
import { PasskeyChallengeStore } from '../../src/storage/passkey-challenges.js'
import { PasskeyStore } from '../../src/storage/passkeys.js'
import { ServerSecretStore } from '../../src/storage/server-secrets.js'
import { SessionStore } from '../../src/storage/sessions.js'
import { SigningKeyStore } from '../../src/storage/signing-keys.js'
import { UserStore } from '../../src/storage/users.js'
import { storageEngines, type EngineUnderTest } from '../helpers/engines.js'

const NOW = 1_800_000_000

const { engines, skipped } = await storageEngines(t)
if (skipped) t.comment(`PostgreSQL left out: ${skipped}`)
for (const engine of engines) t.test(engine.engine, async t => conformance(t, engine))

/** A group forest: chat, chat/room, chat/room/sub, chat0 (sorts right after chat/… in byte order), other. */
async function forest(db: Database) {
  const groups = new GroupStore(db)
  const ids: Record<string, string> = {}
  for (const path of ['chat', 'chat/room', 'chat/room/sub', 'chat0', 'other']) {
    const parent = path.includes('/') ? ids[path.slice(0, path.lastIndexOf('/'))]! : null
    ids[path] = `g-${path}`
    await groups.insert({ id: ids[path]!, parentId: parent, name: path.split('/').at(-1)!, path, created: NOW })
  }
  return { groups, ids }
}

async function conformance(t: Test, engine: EngineUnderTest) {
  t.test('users: sign-in upserts, placeholders, links, deletion that remembers identities', async t => {
    const db = await engine.open(t)
    const users = new UserStore(db)
    const alice = await users.upsertFromProfile(
      { provider: 'test', providerUserId: 'a', name: 'Alice', picture: 'p' },
      NOW,
    )
    t.same(await users.get(alice.id), alice)
    const renamed = await users.upsertFromProfile(
      { provider: 'test', providerUserId: 'a', name: 'Al', picture: '' },
      NOW,
    )
    t.equal(renamed.id, alice.id, 'the same identity is the same user')
    t.equal((await users.get(alice.id))?.name, 'Al', 'the profile follows the provider')
    const owner = await users.ensureForIdentity('github', '42', NOW)
    t.equal((await users.ensureForIdentity('github', '42', NOW)).id, owner.id, 'a placeholder is made once')
    await users.link(alice.id, 'google', 'g-a', NOW + 1)
    t.same(
      (await users.identities(alice.id)).map(i => i.provider),
      ['test', 'google'],
    )
    t.equal(await users.unlink(alice.id, 'google', 'g-a'), true)
    t.equal(await users.unlink(alice.id, 'google', 'g-a'), false)

    t.equal(await db.transaction(() => users.retire(alice.id, NOW + 2)), true)
    t.equal(await users.get(alice.id), undefined, 'a deleted account is gone for everyone')
    t.equal(await users.findByIdentity('test', 'a'), undefined, 'and its identities with it')
    const again = await users.upsertFromProfile(
      { provider: 'test', providerUserId: 'a', name: 'A', picture: '' },
      NOW + 3,
    )
    t.not(again.id, alice.id, 'signing in again makes a new account')
    t.same(await users.formerAccounts(again.id), [alice.id], 'which knows the deleted one was the same person')
    t.same(await users.formerAccounts(owner.id), [])
  })

  t.test('what apps see: vouched addresses, the one picked, handles unique whatever their case', async t => {
    const db = await engine.open(t)
    const users = new UserStore(db)
    const other = await engine.another(t, db)
    const alice = await users.upsertFromProfile(
      { provider: 'github', providerUserId: 'a', name: 'A', picture: '', email: 'a@github.example' },
      NOW,
    )
    await users.link(alice.id, 'google', 'g', NOW + 1, 'a@gmail.example')
    await users.link(alice.id, 'facebook', 'f', NOW + 2, 'a@github.example')
    t.same(
      await users.contact(alice.id),
      {
        handle: null,
        addresses: ['a@github.example', 'a@gmail.example'],
        picked: null,
      },
      'oldest identity first, once each',
    )
    await users.pickEmail(alice.id, 'a@gmail.example')
    t.equal((await users.contact(alice.id))?.picked, 'a@gmail.example')
    await users.vouched('google', 'g', null)
    t.same(
      await users.contact(alice.id),
      { handle: null, addresses: ['a@github.example'], picked: null },
      'an address no provider vouches for any more is neither listed nor picked',
    )
    await users.upsertFromProfile({ provider: 'github', providerUserId: 'a', name: 'A', picture: '' }, NOW + 3)
    t.same(
      (await users.contact(alice.id))?.addresses,
      ['a@github.example'],
      'a sign-in without an address forgets the one before, unless another method vouches for it too',
    )
    await users.vouched('facebook', 'f', null)
    t.same((await users.contact(alice.id))?.addresses, [])

    const bob = await users.upsertFromProfile({ provider: 'test', providerUserId: 'b', name: 'B', picture: '' }, NOW)
    t.equal(await users.setHandle(alice.id, 'Alice'), true)
    t.equal(await users.setHandle(bob.id, 'alice'), false, 'taken, whatever the case')
    t.equal(await users.setHandle(alice.id, 'alice'), true, 'its owner may change its case')
    t.equal(await users.setHandle(alice.id, 'other', true), false, 'onlyIfNone: a user who has one keeps it')
    t.equal(await users.handleOwner('ALICE'), alice.id)
    const racers = await Promise.all([
      users.setHandle(bob.id, 'contested'),
      new UserStore(other).setHandle(alice.id, 'contested'),
    ])
    t.same(racers.filter(Boolean).length, 1, 'two connections asking at once: the unique index gives it to one')

    t.equal(await db.transaction(() => users.retire(alice.id, NOW + 4)), true)
    t.equal(await users.contact(alice.id), undefined, 'a deleted account has nothing to show')
    t.ok((await users.handleOwner('contested')) ?? (await users.handleOwner('alice')), 'its handle stays taken')
  })

  t.test('attempt counters: counted in a window, concurrently without over-counting, refunded, swept', async t => {
    const db = await engine.open(t)
    const counters = new AttemptCounterStore(db)
    const other = new AttemptCounterStore(await engine.another(t, db))
    t.equal(await counters.count('k', NOW, 60), 1)
    const counts = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? counters : other).count('k', NOW + 1, 60)),
    )
    t.same(
      [...counts].sort((a, b) => a - b),
      [2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
      'each attempt its own count',
    )
    await counters.refund('k')
    t.equal(await counters.count('k', NOW + 2, 60), 11, 'a refunded attempt no longer counts')
    t.equal(await counters.count('k', NOW + 60, 60), 1, 'a new window starts afresh')
    t.equal(await counters.count('j', NOW, 10), 1)
    t.equal(await counters.sweep(NOW + 30), 1, 'only the counters whose window has passed')
    t.equal(await counters.count('k', NOW + 61, 60), 2, 'the others are kept')
  })

  t.test('sessions: created, refreshed, revoked once, all of a user at once', async t => {
    const db = await engine.open(t)
    const user = await new UserStore(db).ensureForIdentity('test', 'u', NOW)
    const sessions = new SessionStore(db)
    for (const [sid, provider, amr] of [
      ['s1', 'test', null],
      ['s2', 'passkey', 'user hwk'],
    ] as const) {
      await sessions.create({
        sid,
        userId: user.id,
        provider,
        ip: '::1',
        userAgent: 'ua',
        created: NOW,
        refreshed: NOW,
        amr,
      })
    }
    t.match(await sessions.get('s1'), {
      sid: 's1',
      userId: user.id,
      userAgent: 'ua',
      revoked: null,
      amr: null,
      authenticated: NOW,
    })
    t.match(await sessions.get('s2'), { provider: 'passkey', amr: 'user hwk' }, 'how a session began is kept')
    t.equal(await sessions.authenticated('s2', NOW + 4), true)
    t.match(await sessions.get('s2'), { authenticated: NOW + 4, refreshed: NOW + 4, created: NOW })
    t.equal(await sessions.refreshed('s1', NOW + 5), true)
    t.equal((await sessions.get('s1'))?.refreshed, NOW + 5)
    t.equal(await sessions.revoke('s1', NOW + 6), true)
    t.equal(await sessions.revoke('s1', NOW + 7), false, 'only once')
    t.equal(await sessions.refreshed('s1', NOW + 8), false, 'a revoked session is not refreshed')
    t.same(
      (await sessions.activeForUser(user.id)).map(s => s.sid),
      ['s2'],
    )
    t.same(await sessions.revokeAllOf(user.id, NOW + 9), ['s2'])
    t.same(await sessions.activeForUser(user.id), [])
  })

  t.test('groups: by id, by path, by paths, and the range of descendants in byte order', async t => {
    const db = await engine.open(t)
    const { groups, ids } = await forest(db)
    t.equal((await groups.get(ids['chat/room']!))?.path, 'chat/room')
    t.equal((await groups.findByPath('chat/room/sub'))?.parentId, ids['chat/room'])
    t.same((await groups.findByPaths(['chat', 'nope', 'other'])).map(g => g.path).sort(), ['chat', 'other'])
    t.same(await groups.findByPaths([]), [])
    t.same(
      (await groups.pathRange('chat/', 'chat0')).map(g => g.path),
      ['chat/room', 'chat/room/sub'],
      'everything below chat, and nothing beside it',
    )
  })

  t.test('memberships and invitations: held groups, powers, owners, chains, expiry', async t => {
    const db = await engine.open(t)
    const { ids } = await forest(db)
    const users = new UserStore(db)
    const [owner, member, guest] = await Promise.all(['o', 'm', 'g'].map(n => users.ensureForIdentity('test', n, NOW)))
    const memberships = new MembershipStore(db)
    const invitations = new InvitationStore(db)
    const base = { invitationId: null, until: null, spots: null, dos: null, appId: null, created: NOW }
    await memberships.insert({
      ...base,
      id: 'm-owner',
      userId: owner!.id,
      groupId: ids.chat!,
      deauthorizes: 2,
      owner: true,
    })
    await invitations.insert({
      id: 'i1',
      chainId: 'i1',
      position: 0,
      inviterId: 'm-owner',
      groupId: ids['chat/room']!,
      invitees: 3,
      acceptanceExpiration: null,
      accessExpiration: null,
      accessDuration: null,
      plus: 1,
      depletes: true,
      dos: null,
      deauthorizes: 1,
      redirect: '/after',
      confirm: false,
      created: NOW,
    })
    await memberships.insert({
      ...base,
      id: 'm-member',
      userId: member!.id,
      groupId: ids['chat/room']!,
      invitationId: 'i1',
      until: NOW + 100,
      spots: 1,
      deauthorizes: 1,
      owner: false,
    })
    await memberships.insert({
      ...base,
      id: 'm-guest',
      userId: guest!.id,
      groupId: ids.other!,
      until: NOW + 10,
      deauthorizes: 0,
      owner: false,
    })
    await memberships.insert({
      ...base,
      id: 'm-by-app',
      userId: owner!.id,
      groupId: ids['chat/room/sub']!,
      deauthorizes: 0,
      owner: false,
      appId: 'an-app',
    })

    t.match(await memberships.get('m-owner'), { owner: true, active: true, path: 'chat' })
    t.match(await invitations.get('i1'), { depletes: true, confirm: false, active: true, path: 'chat/room' })
    t.same(
      [...(await memberships.heldAmong(member!.id, [ids.chat!, ids['chat/room']!, ids['chat/room/sub']!], NOW))],
      [[ids['chat/room'], NOW + 100]],
      'with when the membership ends',
    )
    t.same([...(await memberships.heldAmong(member!.id, [ids['chat/room']!], NOW + 100))], [], 'not once expired')
    t.equal(await memberships.highestPower(owner!.id, ['chat', 'chat/room'], NOW), 2)
    t.equal(await memberships.highestPower(guest!.id, ['chat'], NOW), null)
    t.same(
      (await memberships.owners(['chat', 'chat/room'], NOW)).map(m => m.id),
      ['m-owner'],
    )
    t.same(
      (await memberships.granting(member!.id, ['chat', 'chat/room'], NOW)).map(m => m.id),
      ['m-member'],
    )
    t.same(
      (await memberships.lineage('m-member')).map(level => [level.membership.id, level.invitation?.id ?? null]),
      [
        ['m-member', 'i1'],
        ['m-owner', null],
      ],
      'the inviter chain, up to the owner',
    )
    t.match(await memberships.currentDescendants('m-owner', NOW), [{ id: 'm-member', userName: 'm', inviterName: 'o' }])
    t.same((await memberships.currentWithin('chat', ['chat/', 'chat0'], NOW)).map(m => m.id).sort(), [
      'm-by-app',
      'm-member',
      'm-owner',
    ])
    t.match(
      await memberships.grantedByApps('chat', ['chat/', 'chat0'], NOW),
      [{ id: 'm-by-app', appId: 'an-app', appName: null, path: 'chat/room/sub' }],
      'what apps granted in a namespace, naming the app when it still exists',
    )
    t.same(await memberships.grantedByApps('other', ['other/', 'other0'], NOW), [])
    t.same(await memberships.expiredBetween(NOW, NOW + 10), [{ id: 'm-guest', userId: guest!.id, path: 'other' }])
    await memberships.setSweptUntil(NOW + 10)
    t.equal(await memberships.sweptUntil(), NOW + 10)

    await memberships.consumeSpot('m-member')
    await memberships.consumeSpot('m-member')
    t.equal((await memberships.get('m-member'))?.spots, 0, 'spots never go below zero')
    await invitations.consume('i1')
    t.equal((await invitations.get('i1'))?.invitees, 2)
    t.equal(await memberships.deactivate('m-guest', NOW + 1), true)
    t.equal(await memberships.deactivate('m-guest', NOW + 2), false)
    t.same((await memberships.activeOf(guest!.id)).length, 0)

    await db.transaction(async () => {
      await invitations.recordAcceptance('i1', guest!.id, NOW)
      await invitations.recordAcceptance('i1', member!.id, NOW)
    })
    t.equal(await invitations.hasAccepted('i1', guest!.id), true)
    t.equal(await invitations.latestAcceptedRedirect(member!.id), '/after')
    t.equal(await invitations.latestAcceptedRedirect(owner!.id), undefined)
    t.same(
      (await invitations.activeCreatedByAny(['m-owner', 'x'])).map(i => [i.id, i.inviterName]),
      [['i1', 'o']],
    )
    t.same(await invitations.activeCreatedByAny([]), [])
    await invitations.deactivateLink('i1')
    t.same(await invitations.activeWithin('chat', ['chat/', 'chat0']), [])
  })

  t.test('the audit log: newest first, by page, names of deleted accounts withheld', async t => {
    const db = await engine.open(t)
    const { ids } = await forest(db)
    const users = new UserStore(db)
    const actor = await users.ensureForIdentity('test', 'actor', NOW)
    const gone = await users.ensureForIdentity('test', 'gone', NOW)
    const events = new GroupEventStore(db)
    for (const [i, path] of ['chat', 'chat/room', 'other', 'chat0'].entries()) {
      await events.append({
        groupId: ids[path]!,
        kind: 'member_granted',
        actorId: actor.id,
        subjectId: gone.id,
        created: NOW + i,
        detail: { i },
      })
    }
    await db.transaction(() => users.retire(gone.id, NOW + 9))
    const log = await events.list('chat', ['chat/', 'chat0'], Number.MAX_SAFE_INTEGER, 10)
    t.same(
      log.map(e => e.path),
      ['chat/room', 'chat'],
      'the group and below it, newest first',
    )
    t.match(log[0], { actorName: 'actor', subjectName: null, detail: { i: 1 } })
    t.same(
      (await events.list('chat', ['chat/', 'chat0'], log[0]!.id, 10)).map(e => e.path),
      ['chat'],
      'older than an id',
    )
  })

  t.test('apps and the namespaces they manage', async t => {
    const db = await engine.open(t)
    const apps = new AppStore(db)
    const secretHash = Buffer.alloc(32, 7)
    await apps.insert({ id: 'a1', name: 'wiki', secretHash, created: NOW, oidc: null, channel: true })
    await apps.insert({
      id: 'a2',
      name: 'grafana',
      secretHash,
      created: NOW,
      channel: false,
      oidc: {
        redirectUris: ['https://g.example/cb'],
        postLogoutRedirectUris: [],
        backchannelLogoutUri: null,
        public: true,
        require: 'staff',
        idTokenAlg: 'EdDSA',
        device: false,
      },
    })
    const tv = {
      redirectUris: [],
      postLogoutRedirectUris: [],
      backchannelLogoutUri: null,
      public: true,
      require: null,
      idTokenAlg: 'RS256' as const,
      device: true,
    }
    await apps.insert({ id: 'a3', name: 'tv', secretHash, created: NOW, oidc: tv, channel: false })
    t.same((await apps.findByName('tv'))?.oidc, tv, 'a client that signs in by device only, without a redirect URI')
    const credentials = await apps.credentials('a1')
    t.ok(credentials?.secretHash.equals(secretHash), 'the hash comes back as bytes')
    t.match(await apps.findByName('grafana'), {
      oidc: { public: true, require: 'staff', redirectUris: ['https://g.example/cb'] },
      channel: false,
    })
    t.match(await apps.findByName('wiki'), { oidc: null, channel: true })
    t.same(
      (await apps.list()).map(a => a.name),
      ['grafana', 'tv', 'wiki'],
    )
    await apps.seen('a1', NOW + 5)
    t.equal((await apps.findByName('wiki'))?.lastSeen, NOW + 5)

    const namespaces = new AppNamespaceStore(db)
    await namespaces.set('a1', 'chat', 'read', NOW)
    await namespaces.set('a1', 'chat', 'allowed', NOW + 1)
    t.match(await namespaces.get('a1', 'chat'), { kind: 'allowed' }, 'a new record replaces the one before')
    await namespaces.set('a1', 'blog', 'claimed', NOW)
    await namespaces.set('a2', 'chat', 'read', NOW)
    t.same(
      (await namespaces.list('a1')).map(n => n.namespace),
      ['blog', 'chat'],
    )
    t.match(
      await namespaces.holders('chat'),
      [
        { appId: 'a2', appName: 'grafana', kind: 'read' },
        { appId: 'a1', appName: 'wiki', kind: 'allowed' },
      ],
      'who holds a namespace, by app name',
    )
    t.equal(await apps.delete('a1'), true)
    t.same(await namespaces.list('a1'), [], 'an app takes its namespaces with it')
  })

  t.test('OAuth flows: taken once, even by two nodes at once', async t => {
    const db = await engine.open(t)
    const other = await engine.another(t, db)
    const flows = new OAuthFlowStore(db)
    const flow = {
      state: 'st',
      browser: 'b',
      provider: 'github',
      verifier: 'v',
      nonce: 'n',
      next: '/',
      linkUser: null,
      expires: NOW + 600,
    }
    await flows.create(flow)
    const taken = await Promise.all([
      flows.take('st', 'b', 'github'),
      new OAuthFlowStore(other).take('st', 'b', 'github'),
    ])
    t.same(taken.filter(Boolean), [flow], 'exactly one taker gets it')
    await flows.create({ ...flow, state: 'old', expires: NOW })
    await flows.purgeExpired(NOW)
    t.equal(await flows.take('old', 'b', 'github'), undefined)
  })

  t.test('passkeys: one account per credential id, counters that only go up, removal by their owner only', async t => {
    const db = await engine.open(t)
    const users = new UserStore(db)
    const ada = { id: 'u-ada', name: 'Ada', picture: '' }
    await users.insert(ada, NOW)
    t.same(await users.get(ada.id), ada, 'an account without any provider identity')
    t.same(await users.identities(ada.id), [])
    const bob = await users.ensureForIdentity('test', 'bob', NOW)
    const passkeys = new PasskeyStore(db)
    const key = {
      id: 'p1',
      credentialId: 'cred-1',
      userId: ada.id,
      publicKey: Buffer.from([0xa5, 1, 2, 3, 0x26]),
      counter: 0,
      transports: ['internal', 'hybrid'],
      backupEligible: true,
      backedUp: false,
      name: 'Passkey on iPhone',
      created: NOW,
      lastUsed: null,
    }
    await passkeys.insert(key)
    t.same(await passkeys.byCredentialId('cred-1'), key, 'read back whole, the public key as bytes')
    await t.rejects(passkeys.insert({ ...key, id: 'p2', userId: bob.id }), 'a credential id belongs to one account')
    await passkeys.insert({ ...key, id: 'p3', credentialId: 'cred-3', created: NOW + 1, backupEligible: false })
    t.same(
      (await passkeys.ofUser(ada.id)).map(p => [p.id, p.backupEligible]),
      [
        ['p1', true],
        ['p3', false],
      ],
      'oldest first',
    )
    t.equal(await passkeys.countOf(ada.id), 2)
    t.equal(await passkeys.countOf(bob.id), 0)

    t.equal(await passkeys.used('p1', { counter: 0, backedUp: true, now: NOW + 2 }), true, 'no counter kept: 0 again')
    t.equal(await passkeys.used('p1', { counter: 5, backedUp: true, now: NOW + 3 }), true, 'a counter starts')
    t.equal(await passkeys.used('p1', { counter: 5, backedUp: true, now: NOW + 4 }), false, 'and never repeats')
    t.equal(await passkeys.used('p1', { counter: 0, backedUp: true, now: NOW + 4 }), false, 'nor falls back to 0')
    t.match(await passkeys.owned(ada.id, 'p1'), { counter: 5, backedUp: true, lastUsed: NOW + 3 })
    const other = new PasskeyStore(await engine.another(t, db))
    const raced = await Promise.all([
      passkeys.used('p1', { counter: 6, backedUp: true, now: NOW + 5 }),
      other.used('p1', { counter: 6, backedUp: true, now: NOW + 5 }),
    ])
    t.same(raced.filter(Boolean), [true], 'of two uses with the same counter, one is recorded')

    t.equal(await passkeys.owned(bob.id, 'p1'), undefined, 'nobody else sees it')
    t.equal(await passkeys.rename(bob.id, 'p1', 'mine'), false, 'nor renames it')
    t.equal(await passkeys.remove(bob.id, 'p1'), false, 'nor removes it')
    t.equal(await passkeys.rename(ada.id, 'p1', 'Phone'), true)
    t.equal((await passkeys.owned(ada.id, 'p1'))?.name, 'Phone')
    t.equal(await passkeys.remove(ada.id, 'p1'), true)
    t.equal(await passkeys.byCredentialId('cred-1'), undefined)
    await passkeys.removeAllOf(ada.id)
    t.same(await passkeys.ofUser(ada.id), [], 'an account deleted takes its passkeys')
  })

  t.test('passkey challenges: taken once, by their browser, for their purpose, even by two nodes at once', async t => {
    const db = await engine.open(t)
    const other = await engine.another(t, db)
    const challenges = new PasskeyChallengeStore(db)
    const challenge = {
      challenge: 'c1',
      browser: 'b',
      purpose: 'sign-in' as const,
      userId: null,
      detail: '{"next":"/"}',
      expires: NOW + 300,
    }
    await challenges.create(challenge)
    t.equal(await challenges.take('c1', 'other browser', 'sign-in'), undefined, "another browser's answer")
    t.equal(await challenges.take('c1', 'b', 'add'), undefined, 'another purpose')
    const taken = await Promise.all([
      challenges.take('c1', 'b', 'sign-in'),
      new PasskeyChallengeStore(other).take('c1', 'b', 'sign-in'),
    ])
    t.same(taken.filter(Boolean), [challenge], 'exactly one taker gets it')
    await challenges.create({ ...challenge, challenge: 'c2', purpose: 'sign-up', userId: 'future', expires: NOW })
    t.match(
      await new PasskeyChallengeStore(other).take('c2', 'b', 'sign-up'),
      { userId: 'future' },
      'made on one node, taken on another',
    )
    await challenges.create({ ...challenge, challenge: 'old', expires: NOW })
    await challenges.purgeExpired(NOW)
    t.equal(await challenges.take('old', 'b', 'sign-in'), undefined, 'expired ones are purged')
  })

  t.test('signing keys and secrets: one of each for every node', async t => {
    const db = await engine.open(t)
    const other = await engine.another(t, db)
    const secrets = [new ServerSecretStore(db), new ServerSecretStore(other)]
    const values = await Promise.all(
      secrets.map((store, i) => store.loadOrCreate('form-secret', () => `made-by-${i}`, NOW)),
    )
    t.equal(values[0], values[1], 'whichever node asked first, every node gets the same secret')
    const keys = new SigningKeyStore(db)
    await keys.insert({ kid: 'k1', created: NOW, retired: null, material: '{"a":1}' })
    await keys.retireCurrent(NOW + 10)
    await keys.insert({ kid: 'k2', created: NOW + 10, retired: null, material: '{"a":2}' })
    await keys.replace({ kid: 'k2', created: NOW + 10, retired: null, material: '{"a":3}' })
    t.same(await new SigningKeyStore(other).all(), [
      { kid: 'k1', created: NOW, retired: NOW + 10, material: '{"a":1}' },
      { kid: 'k2', created: NOW + 10, retired: null, material: '{"a":3}' },
    ])
    await keys.forgetRetiredBefore(NOW + 10)
    t.same(
      (await keys.all()).map(k => k.kid),
      ['k2'],
    )
  })

  t.test('signing key generations come back in the order they were made, within one second too', async t => {
    const keys = new SigningKeyStore(await engine.open(t))
    // Ids sort the other way round from the order of making: the store may not fall back on them.
    for (const kid of ['z', 'y', 'x']) {
      await keys.retireCurrent(NOW)
      await keys.insert({ kid, created: NOW, retired: null, material: '{}' })
    }
    t.same(
      (await keys.all()).map(k => k.kid),
      ['z', 'y', 'x'],
    )
  })
}
