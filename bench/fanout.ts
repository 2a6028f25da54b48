/**
 * `npm run bench:fanout`: how fast a revocation reaches every connected app.
 *
 * The login server runs in this process; N app connections (the client
 * library's connection code, default 1000) run in a child process
 * (bench/fanout-apps.ts). For each of R sessions in turn, the time from the
 * `revoke()` call until the last of the N connections has received the push
 * is measured (both processes read the same wall clock). Also reported:
 * the login server's memory per idle connection (heap and RSS, after a GC,
 * before and after the connections opened).
 *
 * Target: p99 ≤ 50 ms. Exits 1 when missed.
 *
 * Options: --connections <n> (1000), --revocations <n> (200), --gap <ms> between them (20).
 */
import { parseArgs } from 'node:util'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import type { FanoutAppsOptions, FanoutAppsReady, FanoutArrival } from './fanout-apps.js'
import { forkReady } from './support.js'

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '1000' },
    revocations: { type: 'string', default: '200' },
    gap: { type: 'string', default: '20' },
  },
})
const connections = Number(values.connections)
const revocations = Number(values.revocations)
const gap = Number(values.gap)

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void
const now = () => performance.timeOrigin + performance.now()

const runDir = mkdtempSync(join(tmpdir(), 'login-bench-'))
const app = await buildApp(loadConfig({}, { runDir, debug: true, logLevel: 'silent', rateLimit: 1_000_000 }), {
  logger: false,
})
await app.listen({ host: '127.0.0.1', port: 0 })
const address = app.server.address()
const server = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
const { ctx } = app
const user = await ctx.users.upsertFromProfile(
  { provider: 'test', providerUserId: 'fanout', name: 'fanout', picture: '' },
  ctx.clock.now(),
)
const sids: string[] = []
for (let i = 0; i < revocations + 10; i++)
  sids.push((await ctx.sessions.start({ user, provider: 'test', ip: '127.0.0.1', userAgent: 'bench' })).sid)

gc()
const before = process.memoryUsage()
const options: FanoutAppsOptions = { server, app: await ctx.apps.add('fanout'), connections }
const started = now()
const { ready: childReady, child } = await forkReady<FanoutAppsReady>('./fanout-apps.ts', options, {
  execArgv: [...process.execArgv, '--expose-gc'],
  stdout: 'inherit',
})
const connectMs = now() - started
await new Promise(resolve => setTimeout(resolve, 500))
gc()
const after = process.memoryUsage()

const waiting = new Map<string, (arrival: FanoutArrival) => void>()
child.on('message', (message: FanoutArrival) => {
  if (message.type === 'arrival') waiting.get(message.sid)?.(message)
})

async function revokeOne(sid: string): Promise<{ all: number; median: number; first: number; sent: number }> {
  const arrived = new Promise<FanoutArrival>(resolve => waiting.set(sid, resolve))
  const start = now()
  await ctx.sessions.revoke(sid)
  const sent = now() - start
  const arrival = await arrived
  waiting.delete(sid)
  return { all: arrival.last - start, median: arrival.median - start, first: arrival.first - start, sent }
}

const percentile = (list: number[], p: number) => {
  const sorted = [...list].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}

process.stdout.write(
  `bench:fanout: ${connections} app connections in a separate process ` +
    `(opened and synced in ${connectMs.toFixed(0)} ms), ${revocations} revocations ${gap} ms apart\n`,
)
let missed: boolean
try {
  for (const sid of sids.slice(0, 10)) await revokeOne(sid)
  const all: number[] = []
  const median: number[] = []
  const first: number[] = []
  const sent: number[] = []
  for (const sid of sids.slice(10)) {
    const figures = await revokeOne(sid)
    all.push(figures.all)
    median.push(figures.median)
    first.push(figures.first)
    sent.push(figures.sent)
    await new Promise(resolve => setTimeout(resolve, gap))
  }
  const cell = (ms: number) => ms.toFixed(2).padStart(9)
  const row = (name: string, list: number[]) =>
    `${name.padEnd(40)}${cell(percentile(list, 50))}${cell(percentile(list, 99))}${cell(Math.max(...list))}\n`
  process.stdout.write(
    `\n${'revoke() call → …  (ms)'.padEnd(40)}${'p50'.padStart(9)}${'p99'.padStart(9)}${'max'.padStart(9)}\n`,
  )
  process.stdout.write(row(`revoke() returns (all ${connections} written)`, sent))
  process.stdout.write(row('first app holds it', first))
  process.stdout.write(row('half of the apps hold it', median))
  process.stdout.write(row(`every app (all ${connections}) holds it`, all))
  const p99 = percentile(all, 99)
  missed = p99 > 50
  process.stdout.write(`target: p99 ≤ 50 ms for every app: ${missed ? 'MISSED' : 'ok'} (${p99.toFixed(2)} ms)\n`)
  const perHeap = (after.heapUsed - before.heapUsed) / connections
  const perRss = (after.rss - before.rss) / connections
  process.stdout.write(
    `login server memory per idle connection: heap ${(perHeap / 1024).toFixed(1)} KiB, RSS ${(perRss / 1024).toFixed(1)} KiB ` +
      `(app process: ${(childReady.heapUsed / connections / 1024).toFixed(1)} KiB heap per connection, client side)\n`,
  )
} finally {
  child.disconnect()
  await app.close()
  rmSync(runDir, { recursive: true, force: true })
}
process.exitCode = missed ? 1 : 0
