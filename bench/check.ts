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
import autocannon from 'autocannon'
import { startMemcached } from '../test/helpers/memcached.js'
import type { TargetOptions, TargetReady } from './target-server.js'
import { forkReady, loadOptions, median } from './support.js'

const { duration, warmup, rounds, connections, logLevel } = loadOptions({ warmup: 3 })

interface Target {
  name: string
  /** The goal for its ratio to hello-world; none for the baseline itself. */
  goal?: number
  url: string
  headers: Record<string, string>
  stop(): Promise<void>
  rps: number[]
  p50: number[]
  p99: number[]
}


/** Starts a target in its own process and waits until it listens. */
async function start(name: string, options: TargetOptions, path: string, goal?: number): Promise<Target> {
  const { ready, stop } = await forkReady<TargetReady>('./target-server.ts', options)
  return {
    name, goal, stop, rps: [], p50: [], p99: [],
    url: `http://127.0.0.1:${ready.port}${path}`,
    headers: ready.cookie ? { cookie: ready.cookie } : {},
  }
}

async function load(target: Target, seconds: number): Promise<autocannon.Result> {
  const result = await autocannon({ url: target.url, headers: target.headers, connections, duration: seconds })
  const failed = result.non2xx + result.errors + result.timeouts
  if (failed > 0) throw new Error(`${target.name}: ${result.non2xx} non-2xx answers, ${result.errors} errors, ${result.timeouts} timeouts`)
  return result
}

const memcached = await startMemcached()
process.stdout.write(`bench:check: ${rounds} rounds of ${duration} s per target after a ${warmup} s warm-up each, ${connections} connections, log level ${logLevel}\n`)
if (!memcached) process.stdout.write('memcached is not installed (/usr/bin/memcached): its run is skipped\n')

const targets: Target[] = []
try {
  targets.push(await start('hello-world (bare Fastify)', { kind: 'hello', memcached: [], logLevel }, '/'))
  targets.push(await start('/login/check, in-process cache', { kind: 'login', memcached: [], logLevel }, '/login/check', 0.6))
  if (memcached) targets.push(await start('/login/check, memcached', { kind: 'login', memcached: memcached.servers, logLevel }, '/login/check', 0.4))
  for (const target of targets) await load(target, warmup)
  // Rounds alternate the targets, so that a busy neighbour slows all of them
  // alike; each ratio compares figures of the same round.
  for (let round = 1; round <= rounds; round++) {
    const line: string[] = []
    for (const target of targets) {
      const result = await load(target, duration)
      target.rps.push(result.requests.average)
      target.p50.push(result.latency.p50)
      target.p99.push(result.latency.p99)
      line.push(`${Math.round(result.requests.average)}`)
    }
    process.stdout.write(`  round ${round}: ${line.join(' / ')} req/s\n`)
  }
} finally {
  await Promise.all(targets.map(target => target.stop()))
  await memcached?.kill()
}

const [baseline] = targets
let missed = 0
process.stdout.write(`\n${'target'.padEnd(32)}${'req/s'.padStart(8)}${'p50 ms'.padStart(8)}${'p99 ms'.padStart(8)}${'ratio'.padStart(7)}  goal\n`)
for (const target of targets) {
  const ratio = median(target.rps.map((rps, round) => rps / baseline!.rps[round]!))
  let goal = ''
  if (target.goal !== undefined) {
    const ok = ratio >= target.goal
    if (!ok) missed++
    goal = `>= ${target.goal.toFixed(2)} ${ok ? 'ok' : 'MISSED'}`
  }
  process.stdout.write(`${target.name.padEnd(32)}${Math.round(median(target.rps)).toString().padStart(8)}` +
    `${median(target.p50).toFixed(0).padStart(8)}${median(target.p99).toFixed(0).padStart(8)}${ratio.toFixed(2).padStart(7)}  ${goal}\n`)
}
process.stdout.write('req/s and latencies are medians over the rounds; a ratio is the median of the per-round ratios\n')
process.exitCode = missed > 0 ? 1 : 0
