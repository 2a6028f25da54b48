/**
 * `npm run bench:cache`: what a memcached outage costs a request. The tests
 * check that an outage fails nothing and that a dead server is skipped
 * during its back-off; the time that saves is measured here, against a
 * baseline of the same run:
 *
 * - per cache call (alternating get and set): memcached killed, and a
 *   memcached that accepts connections but never answers, against a live one;
 * - per `/login/check` with a valid lease: memcached killed against live.
 *
 * Targets: during an outage the median call and the median check cost at
 * most 2× the live ones (skipping the network must not be slower than
 * using it), and the slowest single call at most one deadline (150 ms) plus
 * the scheduler's noise, reported. Exits 1 when a ratio target is missed.
 *
 * Options: --calls <n> per measurement (2000), --checks <n> (2000).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { buildApp } from '../src/app.js'
import { MemcachedCache } from '../src/cache/memcached.js'
import { loadConfig } from '../src/config.js'
import { startMemcached } from '../test/helpers/memcached.js'
import { median } from './support.js'

const { values } = parseArgs({
  options: { calls: { type: 'string', default: '2000' }, checks: { type: 'string', default: '2000' } },
})
const CALLS = Number(values.calls)
const CHECKS = Number(values.checks)
const GOAL = 2
const quiet = { warn() {}, info() {} }

/** Times `n` sequential calls; answers each one's milliseconds. */
async function timed(n: number, call: (i: number) => Promise<unknown>): Promise<number[]> {
  const took: number[] = []
  for (let i = 0; i < n; i++) {
    const before = performance.now()
    await call(i)
    took.push(performance.now() - before)
  }
  return took
}

const getOrSet = (cache: MemcachedCache) => (i: number) =>
  i % 2 === 0 ? cache.get(`k${i}`) : cache.set(`k${i}`, 'v', 60)

function describe(took: number[]): string {
  return `median ${median(took).toFixed(3)} ms, slowest ${Math.max(...took).toFixed(1)} ms`
}

function report(name: string, took: number[], baseline: number[]): boolean {
  const ratio = median(took) / median(baseline)
  const ok = ratio <= GOAL
  process.stdout.write(
    `  ${name.padEnd(44)} ${describe(took)}, ${ratio.toFixed(2)}× live (target ≤ ${GOAL}) ${ok ? 'ok' : 'MISSED'}\n`,
  )
  return ok
}

const memcached = await startMemcached()
if (!memcached) {
  process.stdout.write('bench:cache needs memcached (/usr/bin/memcached)\n')
  process.exit(1)
}
let ok = true
try {
  process.stdout.write(`bench:cache: ${CALLS} cache calls and ${CHECKS} checks per measurement\n`)

  // Cache calls.
  const live = new MemcachedCache(memcached.servers, quiet)
  const baseline = await timed(CALLS, getOrSet(live))
  await live.close()
  process.stdout.write(`  ${'live memcached'.padEnd(44)} ${describe(baseline)}\n`)
  const dead = await startMemcached()
  await dead!.kill()
  const killed = new MemcachedCache(dead!.servers, quiet)
  ok = report('memcached killed', await timed(CALLS, getOrSet(killed)), baseline) && ok
  await killed.close()

  const sockets = new Set<Socket>()
  const silent = createServer(socket => sockets.add(socket))
  await new Promise<void>(resolve => silent.listen(0, '127.0.0.1', resolve))
  const hung = new MemcachedCache([`127.0.0.1:${(silent.address() as { port: number }).port}`], quiet)
  ok = report('memcached accepting, never answering', await timed(CALLS, getOrSet(hung)), baseline) && ok
  await hung.close()
  for (const socket of sockets) socket.destroy()
  silent.close()

  // /login/check, as forward-auth calls it on every request.
  const own = (await startMemcached())!
  const runDir = mkdtempSync(join(tmpdir(), 'bench-cache-'))
  const config = loadConfig({}, { runDir, debug: true, logLevel: 'silent', memcached: own.servers, rateLimit: 1e6 })
  const app = await buildApp(config, { logger: false })
  const signIn = await app.inject({ url: '/login/test/as?who=bench' })
  const cookie = String(signIn.headers['set-cookie']).split(';')[0]!
  const check = async () => {
    const response = await app.inject({ url: '/login/check', headers: { cookie } })
    if (response.statusCode !== 200) throw new Error(`/login/check answered ${response.statusCode}`)
  }
  const checksLive = await timed(CHECKS, check)
  process.stdout.write(`  ${'/login/check, memcached live'.padEnd(44)} ${describe(checksLive)}\n`)
  await own.kill()
  ok = report('/login/check, memcached killed', await timed(CHECKS, check), checksLive) && ok
  await app.close()
  rmSync(runDir, { recursive: true, force: true })
} finally {
  await memcached.kill()
}
process.exit(ok ? 0 : 1)
