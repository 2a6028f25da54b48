/**
 * `npm run bench:check`: throughput of `GET /login/check` with a valid lease
 * cookie (the per-request forward-auth call) against a bare Fastify
 * hello-world measured in the same run, with the in-process cache and with a
 * real memcached (started the way the tests start it).
 *
 * Each target runs in its own child process (bench/target-server.ts, same
 * Node flags and logger settings for all) while autocannon drives it from
 * this one. Each is warmed up, then the targets are measured in turn for a
 * few rounds; each round's ratio compares figures taken a few seconds apart,
 * so that a busy machine slows all of them alike rather than skewing one.
 *
 * Targets: ≥ 0.6 of hello-world with the in-process cache, ≥ 0.4 with
 * memcached. Exits 1 when one is missed (or a request failed).
 *
 * Options: --duration <s> per target and round (3), --rounds <n> (5),
 * --warmup <s> (3), --connections <n> (32),
 * --log-level <level> (warn: per-request logs off, as for any hot endpoint).
 */
import { startMemcached } from '../test/helpers/memcached.js'
import type { TargetOptions, TargetReady } from './target-server.js'
import { forkReady, loadOptions, measureRounds, median, type LoadTarget } from './support.js'

const options = loadOptions({ warmup: 3 })
const { duration, warmup, rounds, connections, logLevel } = options

interface Target extends LoadTarget {
  /** The goal for its ratio to hello-world; none for the baseline itself. */
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

const memcached = await startMemcached()
process.stdout.write(
  `bench:check: ${rounds} rounds of ${duration} s per target after a ${warmup} s warm-up each, ` +
    `${connections} connections, log level ${logLevel}\n`,
)
if (!memcached) process.stdout.write('memcached is not installed (/usr/bin/memcached): its run is skipped\n')

const targets: Target[] = []
try {
  targets.push(await start('hello-world (bare Fastify)', { kind: 'hello', memcached: [], logLevel }, '/'))
  targets.push(
    await start('/login/check, in-process cache', { kind: 'login', memcached: [], logLevel }, '/login/check', 0.6),
  )
  if (memcached)
    targets.push(
      await start(
        '/login/check, memcached',
        { kind: 'login', memcached: memcached.servers, logLevel },
        '/login/check',
        0.4,
      ),
    )
  await measureRounds(targets, options)
} finally {
  await Promise.all(targets.map(target => target.stop()))
  await memcached?.kill()
}

const [baseline] = targets
let missed = 0
process.stdout.write(
  `\n${'target'.padEnd(32)}${'req/s'.padStart(8)}${'p50 ms'.padStart(8)}${'p99 ms'.padStart(8)}${'ratio'.padStart(7)}  goal\n`,
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
    `${target.name.padEnd(32)}${Math.round(median(target.rps)).toString().padStart(8)}` +
      `${median(target.p50).toFixed(0).padStart(8)}${median(target.p99).toFixed(0).padStart(8)}${ratio.toFixed(2).padStart(7)}  ${goal}\n`,
  )
}
process.stdout.write('req/s and latencies are medians over the rounds; a ratio is the median of the per-round ratios\n')
process.exitCode = missed > 0 ? 1 : 0
