/**
 * `npm run bench:nodes`: two nodes of one deployment (docs/operating.md,
 * "Running several nodes"): each in its own process, both on one PostgreSQL (a
 * private cluster, test/helpers/postgres.ts) and one memcached, configured as
 * in production (no debug mode, info logs to a file). Users sign in through a
 * real OpenID provider on loopback (bench/mock-issuer.ts).
 *
 * 1. Revocation A → B: a session signed in on A and checked once on B is
 *    signed out on A (POST /login/logout); from A's answer, B's
 *    `/login/check` is asked back to back on one keep-alive connection until
 *    it answers 401, while an app connected to B over /login/ws waits for
 *    the `revoked` push. Target: p99 ≤ 50 ms for both. A round trip to a
 *    bare hello-world on a keep-alive connection, timed in the same loop, is
 *    printed beside them: what the machine's own scheduling adds.
 * 2. `/login/check` throughput (autocannon, a valid cookie) of A, of B, and
 *    of both at once (the sum), against a bare Fastify hello-world in a child
 *    process (bench:check's baseline, logger off) in the same rounds.
 * 3. Invitation acceptances per second: links for a few people each, accepted
 *    by many more distinct users through both nodes at once; no link may
 *    admit more than its invitees (answers and memberships are both counted).
 *
 * Exits 1 when a target is missed, a link admitted too many, or a request failed.
 *
 * Options: --revocations <n> (200), --gap <ms> between them (10); --duration <s> (3), --rounds <n> (3),
 * --warmup <s> (2), --connections <n> per node (32); --links <n> (20), --invitees <n> per link (10),
 * --guests <n> (400), --concurrency <n> acceptances at a time (16); --log-level <level> of the nodes (info).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { startPostgres } from '../test/helpers/postgres.js'
import { RawClient } from '../test/helpers/realtime.js'
import {
  PROVIDER,
  KeepAlive,
  cli,
  inParallel,
  memcachedGets,
  nodesAre,
  printRows,
  runBench,
  signIn,
  startNode,
  startServices,
  type NodeProcess,
} from './deployment.js'
import { loadOptions, loadRow, loadTargetOf, measureRows, percentile } from './support.js'

const options = loadOptions(
  { warmup: 2, rounds: 3, logLevel: 'info' },
  { revocations: 200, gap: 10, links: 20, invitees: 10, guests: 400, concurrency: 16 },
)

const TARGET_MS = 50
/** How long one revocation may take to arrive before the bench gives up on it (a failure, not a slow figure). */
const GIVE_UP_MS = 10_000
/** Sign-ins at a time while setting up. */
const SIGN_INS_AT_ONCE = 8

const now = () => performance.timeOrigin + performance.now()
const ms = (value: number) => value.toFixed(2).padStart(9)

/** Part 1: per revocation, from A's answer to B's first 401 and to the push reaching an app connected to B. */
async function revocations(
  a: NodeProcess,
  b: NodeProcess,
  app: { id: string; secret: string },
  hello: string,
): Promise<boolean> {
  const count = options.revocations
  const warm = 10
  const sessions = await inParallel(count + warm, SIGN_INS_AT_ONCE, i => signIn(a, `leaver-${i}`))
  const { client } = await RawClient.hello(b.url, app)
  const pushed = new Map<string, number>()
  client.ws.on('message', data => {
    const message = JSON.parse(data.toString()) as { type?: string; sid?: string }
    if (message.type === 'revoked' && message.sid) pushed.set(message.sid, now())
  })
  const onA = new KeepAlive(a.url)
  const onB = new KeepAlive(b.url)
  const onHello = new KeepAlive(hello)
  const baseline: number[] = []
  const http: number[] = []
  const ws: number[] = []
  let knownAtOnce = 0
  let pushedEarly = 0
  try {
    for (const [i, session] of sessions.entries()) {
      const headers = { cookie: session.cookie }
      const warmCheck = await onB.send('GET', '/login/check', headers)
      if (warmCheck.status !== 200) throw new Error(`B answered ${warmCheck.status} to a fresh session`)
      const sent = now()
      await onHello.send('GET', '/', {})
      const roundTrip = now() - sent
      const logout = await onA.send('POST', '/login/logout', headers)
      const answered = now()
      if (logout.status !== 200 || !(JSON.parse(logout.body) as { signedOut?: boolean }).signedOut)
        throw new Error(`logout on A: ${logout.status} ${logout.body}`)
      let polls = 0
      for (;;) {
        const { status } = await onB.send('GET', '/login/check', headers)
        polls++
        if (status === 401) break
        if (status !== 200) throw new Error(`B answered ${status} to /login/check`)
        if (now() - answered > GIVE_UP_MS) throw new Error(`B still accepted a session ${GIVE_UP_MS} ms after logout`)
      }
      const refused = now()
      while (!pushed.has(session.sid)) {
        if (now() - answered > GIVE_UP_MS) throw new Error(`no revoked push on B ${GIVE_UP_MS} ms after logout`)
        await sleep(1)
      }
      if (i >= warm) {
        baseline.push(roundTrip)
        http.push(refused - answered)
        // A push may arrive before A's answer does: it then took no time after it.
        const push = pushed.get(session.sid)! - answered
        if (push < 0) pushedEarly++
        ws.push(Math.max(0, push))
        if (polls === 1) knownAtOnce++
      }
      await sleep(options.gap)
    }
  } finally {
    onA.close()
    onB.close()
    onHello.close()
    client.close()
  }
  process.stdout.write(
    `\n1. revocation A → B: ${count} sessions signed in on A, checked on B, signed out on A ` +
      `(after ${warm} unmeasured), ${options.gap} ms apart\n` +
      `${'from A answering the logout to … (ms)'.padEnd(48)}${'p50'.padStart(9)}${'p99'.padStart(9)}${'max'.padStart(9)}\n`,
  )
  let ok = true
  for (const [name, list] of [
    ["B's /login/check answering 401", http],
    ['the app connected to B holding `revoked`', ws],
  ] as const) {
    const p99 = percentile(list, 99)
    const met = p99 <= TARGET_MS
    ok &&= met
    process.stdout.write(
      `${name.padEnd(48)}${ms(percentile(list, 50))}${ms(p99)}${ms(Math.max(...list))}  p99 ≤ ${TARGET_MS} ms ${met ? 'ok' : 'MISSED'}\n`,
    )
  }
  process.stdout.write(
    `${'baseline: a hello-world round trip (no target)'.padEnd(48)}${ms(percentile(baseline, 50))}` +
      `${ms(percentile(baseline, 99))}${ms(Math.max(...baseline))}\n`,
  )
  process.stdout.write(
    `B's first check after A's answer was already 401 in ${knownAtOnce} of ${count}; ` +
      `the push reached the app before A's answer in ${pushedEarly} (counted as 0 ms)\n`,
  )
  return ok
}

/** Part 2: `/login/check` req/s of A, B and both at once, against a hello-world measured in the same rounds. */
async function throughput(a: NodeProcess, b: NodeProcess, hello: string, memcached: string): Promise<void> {
  // The user node A signed in as it started (bench/target-server.ts): a session B has not seen before the warm-up.
  const check = (node: NodeProcess, name: string) => loadTargetOf(name, node.url, '/login/check', a.cookie)
  const rows = [
    loadRow('hello-world (bare Fastify, logger off)', loadTargetOf('hello', hello, '/')),
    loadRow('/login/check on A', check(a, 'A')),
    loadRow('/login/check on B', check(b, 'B')),
    loadRow('/login/check on A and B at once (sum)', check(a, 'A'), check(b, 'B')),
  ]
  process.stdout.write(
    `\n2. /login/check throughput: ${options.rounds} rounds of ${options.duration} s per row after a ` +
      `${options.warmup} s warm-up, ${options.connections} connections per node (autocannon in this process)\n`,
  )
  const gets = await memcachedGets(memcached)
  await measureRows(rows, options)
  const checks = rows.slice(1).reduce((sum, row) => sum + row.requests, 0)
  const perCheck = ((await memcachedGets(memcached)) - gets) / checks
  printRows(rows)
  process.stdout.write(
    `memcached gets per check: ${perCheck.toFixed(3)} (0: every check answered from the node's memory)\n`,
  )
}

/** Part 3: acceptances per second through both nodes at once; answers false when a link admitted too many. */
async function acceptances(a: NodeProcess, b: NodeProcess, database: string): Promise<boolean> {
  const links = options.links
  const invitees = options.invitees
  const guests = options.guests
  const nodes = [a, b]
  await cli({ LOGIN_DATABASE: database }, 'group', 'create', 'club', '--owner', `oidc:${PROVIDER}:owner`)
  const owner = await signIn(a, 'owner')
  const json = { 'content-type': 'application/json', cookie: owner.cookie }
  const shorts = await inParallel(links, SIGN_INS_AT_ONCE, async i => {
    const response = await fetch(`${nodes[i % 2]!.url}/login/access/allow`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ invitees, invitations: [{ accessing: 'club' }] }),
    })
    if (response.status !== 200) throw new Error(`making a link: ${response.status} ${await response.text()}`)
    return ((await response.json()) as { short: string }).short
  })
  // Guest i tries link i % links through node ⌊i / links⌋ % 2: each link's guests alternate between the nodes.
  const linkOf = (i: number) => i % links
  const nodeOf = (i: number) => nodes[Math.floor(i / links) % 2]!
  const people = await inParallel(guests, SIGN_INS_AT_ONCE, i => signIn(nodeOf(i), `guest-${i}`))
  // Link by link, so that the acceptances running at once race for the same places.
  const order = Array.from({ length: guests }, (_, i) => i).sort((x, y) => linkOf(x) - linkOf(y) || x - y)
  const statuses = new Array<number>(guests)
  const started = now()
  await inParallel(guests, options.concurrency, async k => {
    const i = order[k]!
    const response = await fetch(`${nodeOf(i).url}/login/access/add/${shorts[linkOf(i)]}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: people[i]!.cookie },
      body: '{}',
    })
    await response.arrayBuffer()
    statuses[i] = response.status
  })
  const seconds = (now() - started) / 1000

  // The truth: each guest's membership, asked of the node they did not accept through.
  const members = await inParallel(guests, SIGN_INS_AT_ONCE, async i => {
    const other = nodes[(Math.floor(i / links) + 1) % 2]!
    const response = await fetch(`${other.url}/login/check?group=club`, { headers: { cookie: people[i]!.cookie } })
    await response.arrayBuffer()
    return response.status === 200
  })
  const admitted = statuses.filter(status => status === 200).length
  const unexpected = statuses.filter(status => status !== 200 && status !== 410)
  let ok = unexpected.length === 0
  const overfull: string[] = []
  for (let link = 0; link < links; link++) {
    const mine = (i: number) => linkOf(i) === link
    const answered = statuses.filter((status, i) => mine(i) && status === 200).length
    const joined = members.filter((member, i) => mine(i) && member).length
    if (answered > invitees || joined > invitees || answered !== joined)
      overfull.push(`link ${link}: ${answered} admitted, ${joined} members, for ${invitees} invitees`)
  }
  ok &&= overfull.length === 0
  process.stdout.write(
    `\n3. invitations: ${links} links for ${invitees} each, ${guests} distinct users accepting ` +
      `(${guests / links} per link, through both nodes), ${options.concurrency} at a time\n` +
      `${admitted} admitted, ${guests - admitted - unexpected.length} told the link is used up, in ${seconds.toFixed(2)} s: ` +
      `${(admitted / seconds).toFixed(0)} acceptances/s (${(guests / seconds).toFixed(0)} attempts/s)\n`,
  )
  if (unexpected.length > 0) process.stdout.write(`unexpected answers: ${unexpected.join(', ')}\n`)
  process.stdout.write(
    overfull.length === 0
      ? `no link admitted more than its ${invitees} invitees (answers and memberships agree): ok\n`
      : `MISSED: ${overfull.join('; ')}\n`,
  )
  return ok
}

await runBench('nodes', async t => {
  const cluster = await startPostgres(t)
  if (typeof cluster === 'string') throw new Error(cluster)
  const database = await cluster.createDatabase('bench_nodes')
  const { memcached, credentials, hello } = await startServices(t)
  const settings = { database, memcached, credentials, logLevel: options.logLevel }
  // Both at once: one applies the migrations while the other waits for it.
  const [a, b] = await Promise.all([startNode(t, settings), startNode(t, settings)])
  const app = JSON.parse(await cli({ LOGIN_DATABASE: database }, 'app', 'add', 'bench')) as {
    id: string
    secret: string
  }
  process.stdout.write(
    `nodes A (pid ${a.pid}) and B (pid ${b.pid}) on one PostgreSQL and one memcached, ${nodesAre(options.logLevel)}\n`,
  )
  const revoked = await revocations(a, b, app, hello.url)
  await throughput(a, b, hello.url, memcached[0]!)
  const accepted = await acceptances(a, b, database)
  return revoked && accepted
})
