/**
 * `npm run bench:flood`: how much one app flooding the realtime channel
 * with `query` slows everyone else. A second client's `GET /login/check`
 * (a valid cookie, a steady request rate, so that latency measures delay
 * rather than queueing) is measured while the flood runs, against the same
 * without it, in alternating rounds of the same run.
 *
 * The login server (bench/target-server.ts) and the flooding app
 * (bench/flooder.ts) each run in their own process; autocannon drives the
 * server from this one. `LOGIN_CHANNEL_RATE_LIMIT=<n> npm run bench:flood`
 * runs the server with another per-connection limit (a huge one shows the
 * flood unlimited).
 *
 * Target: p99 with the flood ≤ 3× p99 without. Exits 1 when missed (or a request failed).
 *
 * Options: --duration <s> per round and phase (3), --rounds <n> (5), --warmup <s> (2),
 * --connections <n> (32), --log-level <level> (warn); the checks run at 1000 requests a second.
 */
import { once } from 'node:events'
import type { FloodCounts, FlooderOptions } from './flooder.js'
import { forkReady, loadOptions, loadTarget, median, type Forked, type LoadTarget } from './support.js'
import type { TargetOptions, TargetReady } from './target-server.js'

const GOAL = 3
const CHECKS_PER_SECOND = 1000

const options = loadOptions({ warmup: 2 })
const { duration, warmup, rounds, connections, logLevel } = options
const limit = process.env.LOGIN_CHANNEL_RATE_LIMIT ? Number(process.env.LOGIN_CHANNEL_RATE_LIMIT) : undefined
const children: Forked<unknown>[] = []
process.stdout.write(
  `bench:flood: ${rounds} rounds of ${duration} s without and with the flood after a ${warmup} s warm-up, ` +
    `/login/check at ${CHECKS_PER_SECOND}/s over ${connections} connections, ` +
    `channel limit ${limit ?? 'the default'} per connection\n`,
)

const quiet: LoadTarget = { name: 'no flood', url: '', headers: {}, rps: [], p50: [], p99: [] }
const flooded: LoadTarget = { ...quiet, name: 'one app flooding', rps: [], p50: [], p99: [] }
const floods: FloodCounts[] = []
try {
  const server = await forkReady<TargetReady>('./target-server.js', {
    kind: 'login',
    memcached: [],
    logLevel,
    app: true,
    ...(limit ? { channelRateLimit: limit } : {}),
  } satisfies TargetOptions)
  children.push(server)
  const url = `http://127.0.0.1:${server.ready.port}`
  quiet.url = flooded.url = `${url}/login/check?group=bench`
  quiet.headers = flooded.headers = { cookie: server.ready.cookie! }
  const flooder = await forkReady<{ ready: true }>('./flooder.js', {
    server: url,
    app: server.ready.app!,
    user: server.ready.user!,
    group: 'bench',
  } satisfies FlooderOptions)
  children.push(flooder)

  await loadTarget(quiet, warmup, connections, CHECKS_PER_SECOND)
  for (let round = 1; round <= rounds; round++) {
    for (const target of [quiet, flooded]) {
      if (target === flooded) flooder.child.send({ flood: true })
      const result = await loadTarget(target, duration, connections, CHECKS_PER_SECOND)
      target.rps.push(result.requests.average)
      target.p50.push(result.latency.p50)
      target.p99.push(result.latency.p99)
      if (target === flooded) {
        flooder.child.send({ flood: false })
        floods.push(((await once(flooder.child, 'message')) as [FloodCounts])[0])
        // What the server still holds from the flood is read before the next quiet phase.
        await new Promise(resolve => setTimeout(resolve, 1000))
      }
    }
    const flood = floods.at(-1)!
    process.stdout.write(
      `  round ${round}: p99 ${quiet.p99.at(-1)} / ${flooded.p99.at(-1)} ms; flood sent ` +
        `${Math.round(flood.sent / flood.seconds)}/s, answered ${Math.round(flood.answered / flood.seconds)}/s, ` +
        `rate-limited ${Math.round(flood.limited / flood.seconds)}/s\n`,
    )
  }
} finally {
  await Promise.all(children.map(child => child.stop()))
}

const ratio = median(flooded.p99.map((p99, round) => p99 / Math.max(quiet.p99[round]!, 1)))
const ok = ratio <= GOAL
process.stdout.write(
  `\n${'/login/check'.padEnd(20)}${'req/s'.padStart(8)}${'p50 ms'.padStart(8)}${'p99 ms'.padStart(8)}\n`,
)
for (const target of [quiet, flooded])
  process.stdout.write(
    `${target.name.padEnd(20)}${Math.round(median(target.rps)).toString().padStart(8)}` +
      `${median(target.p50).toFixed(0).padStart(8)}${median(target.p99).toFixed(0).padStart(8)}\n`,
  )
const sent = median(floods.map(flood => flood.sent / flood.seconds))
const answered = median(floods.map(flood => flood.answered / flood.seconds))
process.stdout.write(
  `flood: ${Math.round(sent)} queries/s sent, ${Math.round(answered)}/s answered, the rest rate-limited\n` +
    `p99 ratio flood / no flood: ${ratio.toFixed(2)} (goal <= ${GOAL} ${ok ? 'ok' : 'MISSED'}); ` +
    'figures are medians over the rounds, the ratio the median of per-round ratios\n',
)
process.exitCode = ok ? 0 : 1
