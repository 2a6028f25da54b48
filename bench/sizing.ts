/**
 * `npm run bench:sizing`: what one node can take, for docs/operating.md,
 * "Sizing": one node in its own process (bench/target-server.ts, as
 * bench:check runs it), on SQLite (the default) and then on PostgreSQL (a
 * private cluster), configured as in production: no debug mode, info logs to
 * a file, a real memcached.
 *
 * - memory per idle app connection: the node's memory before and after N
 *   authenticated, idle /login/ws connections (bench/fanout-apps.ts, the
 *   client library's connection code, in another process), divided by N;
 *   measured first, and after a tenth as many connections already opened,
 *   so that what the first one costs once is left out;
 * - checks/s: `/login/check` with a valid cookie (autocannon), against a bare
 *   Fastify hello-world (logger off, bench:check's baseline) measured in the
 *   same rounds;
 * - sign-ins/s: the whole OAuth round trip through the `oidc` provider kind
 *   against a real OpenID provider on loopback (bench/mock-issuer.ts, in its
 *   own process): start, the provider's authorization, the callback (code
 *   exchange, ID token verified, user and session written, lease signed);
 *   each sign-in is a new user;
 * - memory per cached session: a node started again on the same database,
 *   with the in-process cache: its memory before and after the sessions the
 *   sign-ins made have been checked once each (`/login/check`), divided by
 *   their number; a fifth of them are checked first, unmeasured. The rate
 *   of those first checks (a lease the node has not verified yet, a session
 *   it does not know yet) is printed too.
 *
 * Memory is what the node reports of itself, `process.memoryUsage()` after a
 * full garbage collection (it runs with --expose-gc): heap used, and RSS
 * (the same figure as VmRSS in /proc/<pid>/status, which the allocator does
 * not give back at once: it moves by more than these differences, so the
 * heap is the figure to plan with). A node at rest is printed too, but it
 * runs the TypeScript sources through ts-node, whose compiler holds much of
 * that: a built node (`server.sh start`) takes far less. The node's CPU time
 * per operation is read from /proc/<pid>/stat: unlike rates, it hardly
 * depends on what else the machine runs.
 *
 * Figures, no targets: exits 1 only when a request failed.
 *
 * Options: --duration <s> (3), --rounds <n> (3), --warmup <s> (2), --connections <n> (32) for checks;
 * --sign-ins <n> per round (300) and --concurrency <n> (8) for sign-ins (same rounds); --apps <n> (1000);
 * --log-level <level> of the node (info); --engines sqlite,postgres.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { tempDir } from '../test/helpers/app.js'
import { startPostgres } from '../test/helpers/postgres.js'
import {
  cli,
  cpuMs,
  inParallel,
  kib,
  memcachedGets,
  mib,
  nodesAre,
  printRows,
  runBench,
  signIn,
  startNode,
  startServices,
  type Memory,
  type Teardowns,
  type NodeProcess,
  type NodeSettings,
  type SignedIn,
  type TargetProcess,
} from './deployment.js'
import type { FanoutAppsOptions, FanoutAppsReady } from './fanout-apps.js'
import { forkReady, loadOptions, loadRow, loadTargetOf, measureRows, median, medianRatio } from './support.js'

const options = loadOptions(
  { warmup: 2, rounds: 3, logLevel: 'info' },
  { 'sign-ins': 300, concurrency: 8, apps: 1000, engines: 'sqlite,postgres' },
)
const { rounds, concurrency, apps, logLevel } = options
const signInsPerRound = options['sign-ins']
const engines = options.engines.split(',') as ('sqlite' | 'postgres')[]

const now = () => performance.now()

interface Figures {
  checks: number
  checksRatio: number
  getsPerCheck: number
  /** Milliseconds of the node's CPU. */
  cpuPerCheck: number
  cpuPerSignIn: number
  cpuPerFirstCheck: number
  signIns: number
  firstChecks: number
  perConnection: Memory
  perSession: Memory
  sessions: number
}

/** The difference of two memory readings divided by `count`. */
function per(before: Memory, after: Memory, count: number): Memory {
  return { heapUsed: (after.heapUsed - before.heapUsed) / count, rss: (after.rss - before.rss) / count }
}

/** Checks one session's lease on a node; fails unless it is signed in. */
async function expectSignedIn(node: NodeProcess, session: SignedIn): Promise<void> {
  const response = await fetch(`${node.url}/login/check`, { headers: { cookie: session.cookie } })
  await response.arrayBuffer()
  if (response.status !== 200) throw new Error(`/login/check answered ${response.status} for a live session`)
}

/** Opens `count` authenticated app connections to a node in another process; answers once all are synced. */
function connectApps(node: NodeProcess, app: FanoutAppsOptions['app'], count: number) {
  return forkReady<FanoutAppsReady>('./fanout-apps.ts', {
    server: node.url,
    app,
    connections: count,
  } satisfies FanoutAppsOptions)
}

/** One node's figures; `admin` configures the CLI for its database. */
async function measure(
  t: Teardowns,
  engine: 'sqlite' | 'postgres',
  settings: NodeSettings,
  admin: Record<string, string>,
  hello: TargetProcess,
): Promise<Figures> {
  let node = await startNode(t, settings)
  const atRest = await node.memory()
  process.stdout.write(
    `\n${engine}: node pid ${node.pid}, at rest (under ts-node): heap ${mib(atRest.heapUsed)}, RSS ${mib(atRest.rss)}\n`,
  )

  // memory per idle app connection, first, on a node that has served nothing else yet; a tenth of them before
  // the measured ones, so that what the first connection costs once is not counted
  const app = JSON.parse(await cli(admin, 'app', 'add', `sizing-${engine}`)) as FanoutAppsOptions['app']
  const warmApps = await connectApps(node, app, Math.ceil(apps / 10))
  const idle = await node.memory()
  const connections = await connectApps(node, app, apps)
  await sleep(1000)
  const connected = await node.memory()
  await connections.stop()
  await warmApps.stop()
  const perConnection = per(idle, connected, apps)
  process.stdout.write(
    `  ${apps} more idle app connections: heap ${kib(idle.heapUsed)} → ${kib(connected.heapUsed)}, ` +
      `RSS ${kib(idle.rss)} → ${kib(connected.rss)}\n`,
  )

  // checks/s, with the lease of the user the node signed in as it started
  const rows = [
    loadRow('hello-world (bare Fastify, logger off)', loadTargetOf('hello', hello.url, '/')),
    loadRow(`/login/check (${engine}, memcached)`, loadTargetOf('node', node.url, '/login/check', node.cookie)),
  ]
  const [memcached] = settings.memcached
  const gets = await memcachedGets(memcached!)
  let cpu = cpuMs(node.pid)
  await measureRows(rows, options)
  const cpuPerCheck = (cpuMs(node.pid) - cpu) / rows[1]!.requests
  const getsPerCheck = ((await memcachedGets(memcached!)) - gets) / rows[1]!.requests
  printRows(rows)
  process.stdout.write(
    `  node CPU per check: ${(cpuPerCheck * 1000).toFixed(0)} µs; memcached gets per check: ${getsPerCheck.toFixed(3)} ` +
      "(0: every check answered from the node's memory)\n",
  )

  // sign-ins/s
  const sessions: SignedIn[] = []
  const rates: number[] = []
  sessions.push(...(await inParallel(signInsPerRound / 5, concurrency, i => signIn(node, `${engine}-warm-${i}`))))
  cpu = cpuMs(node.pid)
  for (let round = 1; round <= rounds; round++) {
    const started = now()
    sessions.push(...(await inParallel(signInsPerRound, concurrency, i => signIn(node, `${engine}-${round}-${i}`))))
    rates.push(signInsPerRound / ((now() - started) / 1000))
    process.stdout.write(`  sign-ins round ${round}: ${rates.at(-1)!.toFixed(0)}/s\n`)
  }
  const cpuPerSignIn = (cpuMs(node.pid) - cpu) / (rounds * signInsPerRound)
  process.stdout.write(`  node CPU per sign-in: ${cpuPerSignIn.toFixed(2)} ms\n`)

  // memory per cached session: a node on the same database again, with the in-process cache and nothing checked
  // yet; a fifth of the sessions first (unmeasured: what the first checks cost once), then the rest
  await node.stop()
  node = await startNode(t, { ...settings, memcached: [] })
  const warm = Math.ceil(sessions.length / 5)
  await inParallel(warm, concurrency, i => expectSignedIn(node, sessions[i]!))
  const fresh = await node.memory()
  const started = now()
  cpu = cpuMs(node.pid)
  const measured = sessions.length - warm
  await inParallel(measured, concurrency, i => expectSignedIn(node, sessions[warm + i]!))
  const firstChecks = measured / ((now() - started) / 1000)
  const cpuPerFirstCheck = (cpuMs(node.pid) - cpu) / measured
  const checked = await node.memory()
  await node.stop()
  const perSession = per(fresh, checked, measured)
  process.stdout.write(
    `  ${measured} more sessions checked once (in-process cache): heap ${kib(fresh.heapUsed)} → ${kib(checked.heapUsed)}, ` +
      `RSS ${kib(fresh.rss)} → ${kib(checked.rss)}; ${firstChecks.toFixed(0)} first checks/s, ` +
      `node CPU ${(cpuPerFirstCheck * 1000).toFixed(0)} µs each\n`,
  )
  return {
    checks: median(rows[1]!.rps),
    checksRatio: medianRatio(rows[1]!.rps, rows[0]!.rps),
    getsPerCheck,
    cpuPerCheck,
    signIns: median(rates),
    cpuPerSignIn,
    firstChecks,
    cpuPerFirstCheck,
    perConnection,
    perSession,
    sessions: measured,
  }
}

await runBench('sizing', async t => {
  const { memcached, credentials, hello } = await startServices(t)
  const common = { memcached, credentials, logLevel }
  process.stdout.write(
    `one node, ${nodesAre(logLevel)}, memcached; checks: ${rounds} rounds of ${options.duration} s, ` +
      `${options.connections} connections (autocannon in this process); sign-ins: ${rounds} rounds of ` +
      `${signInsPerRound}, ${concurrency} at a time\n`,
  )
  const figures = new Map<string, Figures>()
  for (const engine of engines) {
    if (engine === 'sqlite') {
      const runDir = tempDir(t, 'login-bench-sqlite-')
      figures.set('SQLite', await measure(t, engine, { ...common, runDir }, { LOGIN_RUN_DIR: runDir }, hello))
    } else {
      const cluster = await startPostgres(t)
      if (typeof cluster === 'string') throw new Error(cluster)
      const database = await cluster.createDatabase('bench_sizing')
      figures.set('PostgreSQL', await measure(t, engine, { ...common, database }, { LOGIN_DATABASE: database }, hello))
    }
  }

  const names = [...figures.keys()]
  const cell = (text: string) => text.padStart(24)
  const line = (what: string, show: (f: Figures) => string) =>
    `${what.padEnd(44)}${names.map(name => cell(show(figures.get(name)!))).join('')}\n`
  const memory = (m: Memory) => `${kib(m.heapUsed)} / ${kib(m.rss)}`
  process.stdout.write(
    `\nper node (2 cores shared with the bench)    ${names.map(cell).join('')}\n` +
      line('/login/check per second (ratio to hello)', f => `${f.checks.toFixed(0)} (${f.checksRatio.toFixed(2)})`) +
      line('  node CPU per check', f => `${(f.cpuPerCheck * 1000).toFixed(0)} µs`) +
      line('  memcached gets per check', f => f.getsPerCheck.toFixed(3)) +
      line('first checks per second (lease not seen)', f => f.firstChecks.toFixed(0)) +
      line('  node CPU per first check', f => `${(f.cpuPerFirstCheck * 1000).toFixed(0)} µs`) +
      line('sign-ins per second (OAuth round trip)', f => f.signIns.toFixed(0)) +
      line('  node CPU per sign-in', f => `${f.cpuPerSignIn.toFixed(2)} ms`) +
      line('per idle app connection (heap / RSS)', f => memory(f.perConnection)) +
      line('per cached session (heap / RSS)', f => memory(f.perSession)) +
      `checks and sign-ins are medians over the rounds; a session is one of ${[...figures.values()].map(f => f.sessions).join(' / ')} ` +
      'checked once; memory is process.memoryUsage() after a full GC, in the node\n',
  )
  return true
})
