/**
 * `npm run bench:check`: throughput of `GET /login/check` with a valid lease
 * cookie (the per-request forward-auth call) against a bare Fastify
 * hello-world (logger off) measured in the same run. The login server runs
 * as `server.sh start` runs it: production mode, info logging (docs/operating.md,
 * "Logs"), memcached — on SQLite and on PostgreSQL (a cluster of its own,
 * started the way the tests start one); once more with the in-process cache,
 * for comparison.
 *
 * Each target runs in its own child process (bench/target-server.ts, same
 * Node flags for all) while autocannon drives it from this one. Each is
 * warmed up, then the targets are measured in turn for a few rounds; each
 * round's ratio compares figures taken a few seconds apart, so that a busy
 * machine slows all of them alike rather than skewing one.
 *
 * Target: ≥ 0.8 of hello-world with memcached, on either database. Exits 1
 * when one is missed, a request failed, or memcached or PostgreSQL is
 * missing.
 *
 * Options: --duration <s> per target and round (3), --rounds <n> (5),
 * --warmup <s> (3), --connections <n> (32), --log-level <level> (info).
 */
import { startMemcached } from '../test/helpers/memcached.js'
import { startPostgres } from '../test/helpers/postgres.js'
import type { TargetOptions, TargetReady } from './target-server.js'
import { forkReady, loadOptions, measureRounds, median, type LoadTarget } from './support.js'

const options = loadOptions({ warmup: 3, logLevel: 'info' })
const { duration, warmup, rounds, connections, logLevel } = options
const GOAL = 0.8

interface Target extends LoadTarget {
  /** The goal for its ratio to hello-world; none for the baseline and the comparisons. */
  goal?: number
  stop(): Promise<void>
}

/** Starts a target in its own process and waits until it listens. */
async function start(name: string, options: TargetOptions, path: string, goal?: number): Promise<Target> {
  const { ready, stop } = await forkReady<TargetReady>('./target-server.ts', options)
  return {
    name,
    goal,
    stop,
    rps: [],
    p50: [],
    p99: [],
    url: `http://127.0.0.1:${ready.port}${path}`,
    headers: ready.cookie ? { cookie: ready.cookie } : {},
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
    `bench:check: ${rounds} rounds of ${duration} s per target after a ${warmup} s warm-up each, ` +
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
  targets.push(await start('hello-world (bare Fastify)', { kind: 'hello', memcached: [], logLevel }, '/'))
  targets.push(await start('/login/check, SQLite, in-process', { ...login, memcached: [] }, '/login/check'))
  if (memcached) {
    targets.push(
      await start('/login/check, SQLite, memcached', { ...login, memcached: memcached.servers }, '/login/check', GOAL),
    )
    if (typeof postgres !== 'string') {
      const database = await postgres.createDatabase()
      const options = { ...login, memcached: memcached.servers, database }
      targets.push(await start('/login/check, PostgreSQL, memcached', options, '/login/check', GOAL))
    }
  }
  await measureRounds(targets, options)
} finally {
  await Promise.all(targets.map(target => target.stop()))
  for (const cleanup of cleanups.reverse()) await cleanup()
}

const [baseline] = targets
let missed = 0
process.stdout.write(
  `\n${'target'.padEnd(36)}${'req/s'.padStart(8)}${'p50 ms'.padStart(8)}${'p99 ms'.padStart(8)}${'ratio'.padStart(7)}  goal\n`,
)
for (const target of targets) {
  const ratio = median(target.rps.map((rps, round) => rps / baseline!.rps[round]!))
  let goal = ''
  if (target.goal !== undefined) {
    const ok = ratio >= target.goal
    if (!ok) missed++
    goal = `>= ${target.goal.toFixed(2)} ${ok ? 'ok' : 'MISSED'}`
  }
  process.stdout.write(
    `${target.name.padEnd(36)}${Math.round(median(target.rps)).toString().padStart(8)}` +
      `${median(target.p50).toFixed(0).padStart(8)}${median(target.p99).toFixed(0).padStart(8)}${ratio.toFixed(2).padStart(7)}  ${goal}\n`,
  )
}
process.stdout.write('req/s and latencies are medians over the rounds; a ratio is the median of the per-round ratios\n')
process.exitCode = missed + missing > 0 ? 1 : 0
