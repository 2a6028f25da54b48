/**
 * `npm run bench:check`: the cost of `GET /login/check` with a valid lease
 * cookie (the per-request forward-auth call) against a bare Fastify
 * hello-world (logger off) measured in the same run, and the cost of access
 * rules against the plain check. The login server runs as `server.sh start`
 * runs it: production mode, info logging (docs/operating.md, "Logs"),
 * memcached — on SQLite and on PostgreSQL (a cluster of its own, started
 * the way the tests start one); once more with the in-process cache, for
 * comparison; and with 1, 100 and 10,000 access rules, the one that matches
 * in the middle of the list (docs/forward-auth.md, "Access rules").
 *
 * Each target runs in a child process of its own (bench/target-server.ts,
 * same Node flags for all), started afresh every round, while autocannon
 * drives it from this one, every request carrying what a proxy sends (the
 * cookie, the original host, URI and method). Each target gets a fixed
 * number of requests per round after its warm-up, and
 * the figure that decides is the CPU time its process spent per request,
 * read from /proc/<pid>/stat: on a shared machine, requests per second
 * swing with the neighbours (and the load generator shares the machine),
 * CPU time per request hardly does. Both are printed; each ratio is the
 * median over the rounds of a round's ratio.
 *
 * Targets: the plain check at most 1.25× hello-world's CPU per request
 * (a ratio ≥ 0.8), with memcached, on either database; the check through
 * 100 rules at most 1.11× the plain check's (≥ 0.9), through 10,000 at most
 * 1.25× (≥ 0.8). Exits 1 when one is missed, a request failed, or memcached
 * or PostgreSQL is missing.
 *
 * Options: --amount <requests> per target and round (20000), --rounds <n> (5),
 * --warmup <requests> per target and round (10000), --connections <n> (32), --log-level <level> (info).
 */
import { startMemcached } from '../test/helpers/memcached.js'
import { startPostgres } from '../test/helpers/postgres.js'
import type { TargetOptions, TargetReady } from './target-server.js'
import { forkReady, loadOptions, measureCpuRounds, median, type CpuTarget } from './support.js'

const options = loadOptions({ warmup: 10_000, logLevel: 'info' }, { amount: 20_000 })
const { warmup, rounds, connections, logLevel, amount } = options
const RULES_HOST = 'bench.example.org'
const RULES_PATH = '/app'

interface Target extends CpuTarget {
  /** What its CPU per request is compared with (hello-world's, or the plain check's), and the least ratio wanted. */
  against?: { target: Target; goal?: number }
}

/** A target whose server runs in a process of its own, started afresh each round. */
function target(name: string, options: TargetOptions, path: string, against?: Target['against']): Target {
  return {
    name,
    against,
    cpu: [],
    rps: [],
    p50: [],
    p99: [],
    async start() {
      const { ready, stop, child } = await forkReady<TargetReady>('./target-server.js', options)
      return {
        pid: child.pid!,
        stop,
        url: `http://127.0.0.1:${ready.port}${path}`,
        // What nginx or Traefik sends with each check: the original host, URI, scheme and method.
        headers: {
          ...(ready.cookie ? { cookie: ready.cookie } : {}),
          'x-forwarded-host': RULES_HOST,
          'x-forwarded-uri': `${RULES_PATH}/page?id=42`,
          'x-forwarded-proto': 'https',
          'x-forwarded-method': 'GET',
        },
      }
    },
  }
}

const cleanups: (() => unknown)[] = []
const targets: Target[] = []
let missing = 0
try {
  const memcached = await startMemcached()
  cleanups.push(() => memcached?.kill())
  const postgres = await startPostgres({ teardown: fn => void cleanups.push(fn) })
  process.stdout.write(
    `bench:check: ${rounds} rounds of ${amount} requests per target after ${warmup} each, ` +
      `${connections} connections, log level ${logLevel}\n`,
  )
  for (const absent of [
    memcached ? null : 'memcached is not installed (/usr/bin/memcached)',
    typeof postgres === 'string' ? `PostgreSQL: ${postgres}` : null,
  ]) {
    if (absent === null) continue
    process.stdout.write(`${absent}: its runs are left out, and the bench fails\n`)
    missing++
  }
  const login = { kind: 'login', logLevel } as const
  const hello = target('hello-world (bare Fastify)', { kind: 'hello', memcached: [], logLevel }, '/')
  targets.push(hello)
  targets.push(target('check, SQLite, in-process', { ...login, memcached: [] }, '/login/check', { target: hello }))
  if (memcached) {
    const servers = memcached.servers
    const plain = target('check, SQLite, memcached', { ...login, memcached: servers }, '/login/check', {
      target: hello,
      goal: 0.8,
    })
    targets.push(plain)
    if (typeof postgres !== 'string') {
      const database = await postgres.createDatabase()
      const options = { ...login, memcached: servers, database }
      targets.push(target('check, PostgreSQL, memcached', options, '/login/check', { target: hello, goal: 0.8 }))
    }
    for (const [count, goal] of [
      [1, undefined],
      [100, 0.9],
      [10_000, 0.8],
    ] as const) {
      const rules = { count, host: RULES_HOST, path: RULES_PATH }
      const name = `check, ${count.toLocaleString('en')} rule${count === 1 ? '' : 's'}`
      targets.push(target(name, { ...login, memcached: servers, rules }, '/login/check', { target: plain, goal }))
    }
  }
  await measureCpuRounds(targets, { amount, warmup, rounds, connections })
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup()
}

let missed = 0
process.stdout.write(
  `\n${'target'.padEnd(30)}${'req/s'.padStart(8)}${'p50 ms'.padStart(8)}${'p99 ms'.padStart(8)}` +
    `${'CPU µs'.padStart(8)}  ${'against'.padEnd(22)}${'req/s'.padStart(6)}${'CPU'.padStart(6)}  goal (CPU)\n`,
)
for (const target of targets) {
  const row =
    `${target.name.padEnd(30)}${Math.round(median(target.rps)).toString().padStart(8)}` +
    `${median(target.p50).toFixed(0).padStart(8)}${median(target.p99).toFixed(0).padStart(8)}` +
    `${median(target.cpu).toFixed(1).padStart(8)}`
  const against = target.against
  if (!against) {
    process.stdout.write(`${row}\n`)
    continue
  }
  const base = against.target
  const rpsRatio = median(target.rps.map((rps, round) => rps / base.rps[round]!))
  // Less CPU is better: the ratio is the base's CPU per request over this target's, so that 1 means "as cheap".
  const cpuRatio = median(target.cpu.map((cpu, round) => base.cpu[round]! / cpu))
  let goal = ''
  if (against.goal !== undefined) {
    const ok = cpuRatio >= against.goal
    if (!ok) missed++
    goal = `>= ${against.goal.toFixed(2)} ${ok ? 'ok' : 'MISSED'}`
  }
  process.stdout.write(
    `${row}  ${base.name.slice(0, 21).padEnd(22)}${rpsRatio.toFixed(2).padStart(6)}${cpuRatio.toFixed(2).padStart(6)}  ${goal}\n`,
  )
}
process.stdout.write(
  'medians over the rounds; CPU µs: the server process’s CPU time per request (/proc/<pid>/stat); a CPU ratio is ' +
    'the base’s CPU per request over the target’s (1 = as cheap), a req/s ratio the target’s throughput over the base’s\n',
)
process.exitCode = missed + missing > 0 ? 1 : 0
