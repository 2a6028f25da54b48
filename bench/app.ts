/**
 * `npm run bench:app`: throughput of a Fastify app whose route is guarded
 * by `login.required()` against the same app without the guard, measured in
 * the same run with autocannon (a valid lease cookie on every request).
 *
 * The login server (bench/lease-server.ts) and the two apps
 * (bench/app-target.ts) each run in their own process; autocannon drives
 * the apps from this one. Each app is warmed up, then they are measured in
 * turn for a few rounds; the ratio is the median of per-round ratios.
 *
 * Target: guarded ≥ 0.8 of unguarded. Exits 1 when missed (or a request failed).
 *
 * Options: --duration <s> per target and round (3), --rounds <n> (5),
 * --warmup <s> (2), --connections <n> (32), --log-level <level> (warn).
 */
import type { AppTargetOptions } from './app-target.js'
import type { LeaseServerOptions, LeaseServerReady } from './lease-server.js'
import { forkReady, loadOptions, measureRounds, median, type Forked, type LoadTarget } from './support.js'

const options = loadOptions({ warmup: 2 })
const { duration, warmup, rounds, connections, logLevel } = options
const children: Forked<unknown>[] = []

/** Forks a bench script and waits for its first IPC message. */
async function start<T>(script: string, options: unknown): Promise<T> {
  const forked = await forkReady<T>(script, options)
  children.push(forked)
  return forked.ready
}

process.stdout.write(
  `bench:app: ${rounds} rounds of ${duration} s per target after a ${warmup} s warm-up each, ` +
    `${connections} connections, log level ${logLevel}\n`,
)
const targets: LoadTarget[] = []
try {
  const server = await start<LeaseServerReady>('./lease-server.js', { tokens: 0 } satisfies LeaseServerOptions)
  const url = `http://127.0.0.1:${server.port}`
  for (const [kind, name] of [
    ['plain', 'Fastify app, no guard'],
    ['login', 'same app, login.required()'],
  ] as const) {
    const { port } = await start<{ port: number }>('./app-target.js', {
      kind,
      server: url,
      app: server.app,
      logLevel,
    } satisfies AppTargetOptions)
    targets.push({
      name,
      url: `http://127.0.0.1:${port}/me`,
      headers: { cookie: server.cookie },
      rps: [],
      p50: [],
      p99: [],
    })
  }
  await measureRounds(targets, options)
} finally {
  await Promise.all(children.map(child => child.stop()))
}

const [baseline, guarded] = targets
const ratio = median(guarded!.rps.map((rps, round) => rps / baseline!.rps[round]!))
process.stdout.write(
  `\n${'target'.padEnd(30)}${'req/s'.padStart(8)}${'p50 ms'.padStart(8)}${'p99 ms'.padStart(8)}${'ratio'.padStart(7)}  goal\n`,
)
for (const target of targets) {
  const own = target === baseline ? 1 : ratio
  const goal = target === baseline ? '' : `>= 0.80 ${ratio >= 0.8 ? 'ok' : 'MISSED'}`
  process.stdout.write(
    `${target.name.padEnd(30)}${Math.round(median(target.rps)).toString().padStart(8)}` +
      `${median(target.p50).toFixed(0).padStart(8)}${median(target.p99).toFixed(0).padStart(8)}${own.toFixed(2).padStart(7)}  ${goal}\n`,
  )
}
process.stdout.write(
  'req/s and latencies are medians over the rounds; the ratio is the median of the per-round ratios\n',
)
process.exitCode = ratio >= 0.8 ? 0 : 1
