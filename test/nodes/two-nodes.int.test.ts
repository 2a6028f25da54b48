// Two nodes on one PostgreSQL and one memcached, behind no load balancer at all: every request may land on
// either, so each request here picks its node on purpose (docs/operating.md, "Running several nodes").
import t from 'tap'
import { decodeProtectedHeader } from 'jose'
import { startMemcached } from '../helpers/memcached.js'
import { startPostgres } from '../helpers/postgres.js'
import { RawClient, runTs } from '../helpers/realtime.js'
import { PATIENCE_MS, within } from '../helpers/wait.js'
import { check, signInOn, startNode, type Node } from './helpers.js'

const cluster = await startPostgres(t)
const memcached = typeof cluster === 'string' ? null : await startMemcached()
t.teardown(() => memcached?.kill())
const skip = typeof cluster === 'string' ? cluster : memcached === null ? 'memcached is not installed' : false

/** `modular-login <args>` against the nodes' database, in a process of its own. */
async function cli(database: string, ...args: string[]): Promise<string> {
  const { code, stdout, stderr } = await runTs('test/nodes/cli.ts', args, { LOGIN_DATABASE: database })
  if (code !== 0) throw new Error(`modular-login ${args.join(' ')} exited with ${code}: ${stderr}`)
  return stdout
}

const json = { 'content-type': 'application/json' }

t.test('two nodes serve one deployment', { skip }, async t => {
  if (typeof cluster === 'string' || !memcached) return
  const database = await cluster.createDatabase()
  // Both start at once: one applies the migrations, the other waits for it.
  const [a, b] = await Promise.all([
    startNode(t, database, memcached.servers),
    startNode(t, database, memcached.servers),
  ])

  t.test('signed in on A, known on B; signed out on B, refused on A', async t => {
    const alice = await signInOn(a, 'alice')
    t.equal(await check(b, alice.cookie), 200, 'B knows the session A started')
    t.equal((await fetch(`${b.url}/login/logout`, { method: 'POST', headers: { cookie: alice.cookie } })).status, 200)
    const took = await within(PATIENCE_MS, async () => (await check(a, alice.cookie)) === 401)
    t.comment(`A refused the session ${took.toFixed(0)} ms after B signed it out`)
    t.pass('A refuses it')
  })

  t.test('an app connected to A hears of a revocation made through B', async t => {
    const app = JSON.parse(await cli(database, 'app', 'add', 'watcher')) as { id: string; secret: string }
    const { client } = await RawClient.hello(a.url, app)
    t.teardown(() => client.close())
    const bob = await signInOn(b, 'bob')
    await fetch(`${b.url}/login/logout`, { method: 'POST', headers: { cookie: bob.cookie } })
    // Its replay (a fresh app hears the last lease lifetime's revocations) holds alice's from above; bob's comes live.
    const pushed = await client.nextWhere(
      m => m.type === 'revoked' && m.sid === bob.sid,
      PATIENCE_MS,
      "bob's revocation",
    )
    t.match(pushed, { user: bob.user }, 'naming whose session it was')
  })

  t.test('fifty acceptances of a link for five, spread over both nodes at once, admit exactly five', async t => {
    await cli(database, 'group', 'create', 'club', '--owner', 'test:owner')
    const owner = await signInOn(a, 'owner')
    const link = await fetch(`${a.url}/login/access/allow`, {
      method: 'POST',
      headers: { ...json, cookie: owner.cookie },
      body: JSON.stringify({ invitees: 5, invitations: [{ accessing: 'club' }] }),
    })
    t.equal(link.status, 200)
    const { short } = (await link.json()) as { short: string }
    const guests = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        signInOn(i % 2 ? a : b, `guest-${i}`).then(g => ({ ...g, node: i % 2 ? a : b })),
      ),
    )
    const answers = await Promise.all(
      guests.map(
        async guest =>
          (
            await fetch(`${guest.node.url}/login/access/add/${short}`, {
              method: 'POST',
              headers: { ...json, cookie: guest.cookie },
              body: '{}',
            })
          ).status,
      ),
    )
    t.equal(answers.filter(status => status === 200).length, 5, 'five admitted')
    t.equal(answers.filter(status => status === 410).length, 45, 'the others told the invitation is used up')
    let members = 0
    for (const guest of guests) if ((await check(guest.node === a ? b : a, guest.cookie, 'club')) === 200) members++
    t.equal(members, 5, 'and the other node agrees who the members are')
  })

  t.test(
    'a membership removed through B: A refuses the group as soon as it hears, and an app connected to A hears of it',
    async t => {
      // The app's namespace, claimed at registration: it hears of the memberships there (docs/protocol.md, "Apps are scoped").
      const registered = await cli(database, 'app', 'add', 'members-watcher', '--namespace', 'band')
      const app = JSON.parse(registered) as { id: string; secret: string }
      const { client } = await RawClient.hello(a.url, app)
      t.teardown(() => client.close())
      await cli(database, 'group', 'create', 'band', '--owner', 'test:leader')
      const leader = await signInOn(b, 'leader')
      const link = await fetch(`${b.url}/login/access/allow`, {
        method: 'POST',
        headers: { ...json, cookie: leader.cookie },
        body: JSON.stringify({ invitees: 1, invitations: [{ accessing: 'band' }] }),
      })
      const { short } = (await link.json()) as { short: string }
      const player = await signInOn(a, 'player')
      const accepted = await fetch(`${a.url}/login/access/add/${short}`, {
        method: 'POST',
        headers: { ...json, cookie: player.cookie },
        body: '{}',
      })
      const { memberships } = (await accepted.json()) as { memberships: { membership: string }[] }
      t.equal(await check(a, player.cookie, 'band'), 200, 'a member, on A')

      const removed = await fetch(`${b.url}/login/access/revoke`, {
        method: 'POST',
        headers: { ...json, cookie: leader.cookie },
        body: JSON.stringify({ memberships: memberships.map(m => m.membership) }),
      })
      t.equal(removed.status, 200, 'the leader removes them through B')
      // A remembers membership answers until the revocation feed tells it they changed (docs/forward-auth.md,
      // "Access rules"): it refuses once it hears, within the feed's bound (50 ms at the 99th percentile there).
      const took = await within(PATIENCE_MS, async () => (await check(a, player.cookie, 'band')) === 403)
      t.comment(`A refused the group ${took.toFixed(0)} ms after B removed the membership`)
      t.equal(await check(a, player.cookie, 'band'), 403, 'A refuses the group')
      t.equal(await check(a, player.cookie), 200, 'and still knows who they are')
      await client.nextWhere(
        m => m.type === 'membership' && m.user === player.user && m.membership === memberships[0]!.membership,
        PATIENCE_MS,
        "the player's removed membership",
      )
      t.pass('the app connected to A is told which membership of whom ended')
    },
  )

  t.test('keys rotated (at the CLI) are the ones both nodes sign with; nobody is signed out', async t => {
    const before = await signInOn(a, 'carol')
    const oldKid = decodeProtectedHeader(before.cookie.slice('login='.length)).kid
    const kid = /now signing with key ([0-9a-f-]+)/.exec(await cli(database, 'keys', 'rotate'))![1]
    t.not(kid, oldKid)
    for (const node of [a, b]) {
      await within(PATIENCE_MS, async () => {
        const fresh = await signInOn(node, 'dave')
        return decodeProtectedHeader(fresh.cookie.slice('login='.length)).kid === kid
      })
      t.pass(`${node === a ? 'A' : 'B'} signs with the new key`)
      t.equal(await check(node, before.cookie), 200, 'a lease of the old key still signs in')
    }
  })

  t.test('an access rule added at the CLI is enforced on both nodes, without a restart', async t => {
    const { cookie } = await signInOn(a, 'ruth')
    // As nginx asks: the original URL of the request it stands for.
    const ask = (node: Node) =>
      fetch(`${node.url}/login/check`, {
        headers: { cookie, 'x-original-url': 'http://rules.127.0.0.1.nip.test/private/page' },
      }).then(r => r.status)
    t.equal(await ask(b), 200, 'no rule: signed in is enough')
    const added = await cli(database, 'rule', 'add', 'rules.127.0.0.1.nip.test', '/private', '--deny')
    const id = /added rule (\d+)/.exec(added)![1]!
    for (const node of [a, b]) {
      const took = await within(PATIENCE_MS, async () => (await ask(node)) === 403)
      t.comment(`${node === a ? 'A' : 'B'} refused it ${took.toFixed(0)} ms after the CLI added the rule`)
    }
    t.pass('both nodes refuse it')
    await cli(database, 'rule', 'remove', id)
    await within(PATIENCE_MS, async () => (await ask(b)) === 200)
    t.pass('removed: B lets it through again')
  })

  t.test('a node restarted mid-traffic loses no session', async t => {
    const erin = await signInOn(a, 'erin')
    const failures: string[] = []
    let running = true
    let served = 0
    const traffic = (async () => {
      while (running) {
        const status = await check(a, erin.cookie).catch(error => String(error))
        if (status !== 200) failures.push(`A answered ${status}`)
        served++
      }
    })()
    await b.restart()
    running = false
    await traffic
    t.same(failures, [], `A served all ${served} checks while B restarted`)
    t.equal(await check(b, erin.cookie), 200, 'B, back, knows the session')
    const frank = await signInOn(b, 'frank')
    t.equal(await check(a, frank.cookie), 200, 'and starts new ones that A knows')
  })
})

t.test(
  'a node that loses its database keeps checking verified leases, refuses writes, and recovers',
  { skip },
  async t => {
    if (typeof cluster === 'string' || !memcached) return
    const own = await startPostgres(t)
    if (typeof own === 'string') return
    const node: Node = await startNode(t, await own.createDatabase(), memcached.servers)
    const grace = await signInOn(node, 'grace')
    t.equal(await check(node, grace.cookie), 200)

    await own.stop()
    // Past the feed's freshness window: the node no longer hears of revocations, and says so.
    await within(PATIENCE_MS, async () => (await fetch(`${node.url}/login/ready`)).status === 503)
    t.pass('/login/ready says the node is not ready')
    t.equal(await check(node, grace.cookie), 200, 'a verified, unrevoked lease still signs in')
    const write = await fetch(`${node.url}/login/test/as?who=henry`, { redirect: 'manual' })
    t.equal(write.status, 503, 'a sign-in (a write) is refused')
    t.match(await write.text(), /LOGIN_ERR_UNAVAILABLE/, 'saying why, with its code')

    await own.restart()
    await within(PATIENCE_MS, async () => (await fetch(`${node.url}/login/ready`)).status === 200)
    t.pass('ready again, without a restart')
    const henry = await signInOn(node, 'henry')
    t.equal(await check(node, henry.cookie), 200, 'and writes work again')
    await fetch(`${node.url}/login/logout`, { method: 'POST', headers: { cookie: grace.cookie } })
    t.equal(await check(node, grace.cookie), 401, 'revocations too')
  },
)
