/**
 * `npm run bench:lease`: what the client library costs per request to
 * authenticate a lease cookie, against a bare `jose.jwtVerify` of the same
 * tokens with the same key, measured in the same run.
 *
 *   memoised    a token seen before: cookie parse, two map lookups
 *   first sight a token never seen: cookie parse, signature check, memo insert
 *   bare        `jwtVerify(token, publicKey, { algorithms: ['EdDSA'] })`
 *
 * The login server runs in a child process (bench/lease-server.ts) and only
 * hands out the keys and leases; nothing measured talks to it. Bare and
 * first-sight calls alternate in small blocks, and the memoised loop runs
 * in each round; each ratio is the median of per-round ratios, so a busy
 * machine slows all of them alike.
 *
 * Targets: memoised ≥ 20× faster than bare, first sight ≥ 0.9× bare.
 * Exits 1 when one is missed.
 *
 * Options: --rounds <n> (5), --tokens <n> per round for first sight and bare (2000),
 * --memo-ops <n> per round (200000).
 */
import { parseArgs } from 'node:util'
import { importJWK, jwtVerify, type JWK } from 'jose'
import { createLoginClient } from 'modular-login-client'
import type { LeaseServerOptions, LeaseServerReady } from './lease-server.js'
import { forkReady, median } from './support.js'

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    tokens: { type: 'string', default: '2000' },
    'memo-ops': { type: 'string', default: '200000' },
  },
})
const rounds = Number(values.rounds)
const perRound = Number(values.tokens)
const memoOps = Number(values['memo-ops'])

// Round 0 is the warm-up; each round needs fresh tokens for the library (never seen) and as many for bare verify.
const options: LeaseServerOptions = { tokens: perRound * (rounds + 1) * 2 }
const { ready, child } = await forkReady<LeaseServerReady>('./lease-server.js', options)
const server = `http://127.0.0.1:${ready.port}`

const login = createLoginClient({ server, app: ready.app, logger: false })
await login.ready()
const jwks = (await (await fetch(`${server}/login/.well-known/jwks.json`)).json()) as { keys: JWK[] }
const publicKey = await importJWK(jwks.keys[0]!, 'EdDSA')

const cookieOf = (token: string) => `theme=dark; login=${token}; lang=en`
const batches = Array.from({ length: 2 * (rounds + 1) }, (_, i) => ready.tokens.slice(i * perRound, (i + 1) * perRound))
const seen = batches[0]!.map(cookieOf)

const BLOCK = 50

/**
 * Bare verify and first sight in alternating blocks of {@link BLOCK} calls,
 * each on its own fresh tokens: a load spike from a neighbour then lands on
 * both alike. Answers the mean nanoseconds per call of each.
 */
async function bareAndFirstSight(
  bareTokens: string[],
  firstTokens: string[],
): Promise<{ bare: number; first: number }> {
  const cookies = firstTokens.map(cookieOf)
  let bare = 0n
  let first = 0n
  for (let at = 0; at < bareTokens.length; at += BLOCK) {
    let start = process.hrtime.bigint()
    for (let i = at; i < at + BLOCK && i < bareTokens.length; i++)
      await jwtVerify(bareTokens[i]!, publicKey, { algorithms: ['EdDSA'] })
    bare += process.hrtime.bigint() - start
    start = process.hrtime.bigint()
    for (let i = at; i < at + BLOCK && i < cookies.length; i++) {
      const result = await login.authenticate({ cookie: cookies[i] })
      if (result.status !== 'ok') throw new Error(`first sight: ${result.status}`)
    }
    first += process.hrtime.bigint() - start
  }
  return { bare: Number(bare) / bareTokens.length, first: Number(first) / cookies.length }
}

async function memoised(ops: number): Promise<number> {
  const start = process.hrtime.bigint()
  for (let i = 0; i < ops; i++) {
    const result = await login.authenticate({ cookie: seen[i % seen.length] })
    if (result.status !== 'ok') throw new Error(`memoised: ${result.status}`)
  }
  return Number(process.hrtime.bigint() - start) / ops
}

process.stdout.write(
  `bench:lease: ${rounds} rounds; ${perRound} fresh tokens per round for first sight and bare, ${memoOps} memoised calls per round\n`,
)
try {
  // Warm-up: JIT, the key import, the memo of the `seen` tokens.
  await bareAndFirstSight(batches[1]!, batches[0]!)
  await memoised(memoOps / 4)
  const figures = { bare: [] as number[], first: [] as number[], memo: [] as number[] }
  for (let round = 1; round <= rounds; round++) {
    const measured = await bareAndFirstSight(batches[2 * round]!, batches[2 * round + 1]!)
    figures.bare.push(measured.bare)
    figures.first.push(measured.first)
    figures.memo.push(await memoised(memoOps))
    process.stdout.write(
      `  round ${round}: bare ${(figures.bare.at(-1)! / 1000).toFixed(1)} µs, ` +
        `first sight ${(figures.first.at(-1)! / 1000).toFixed(1)} µs, memoised ${figures.memo.at(-1)!.toFixed(0)} ns\n`,
    )
  }
  const speedup = (path: number[]) => median(path.map((ns, i) => figures.bare[i]! / ns))
  const rows: [string, number[], number | null][] = [
    ['bare jose.jwtVerify', figures.bare, null],
    ['library, first sight', figures.first, 0.9],
    ['library, memoised', figures.memo, 20],
  ]
  let missed = 0
  process.stdout.write(
    `\n${'path'.padEnd(24)}${'per call'.padStart(12)}${'calls/s'.padStart(12)}${'× bare'.padStart(9)}  goal\n`,
  )
  for (const [name, ns, goal] of rows) {
    const ratio = speedup(ns)
    let verdict = ''
    if (goal !== null) {
      const ok = ratio >= goal
      if (!ok) missed++
      verdict = `>= ${goal}× ${ok ? 'ok' : 'MISSED'}`
    }
    const per = median(ns)
    const shown = per >= 1000 ? `${(per / 1000).toFixed(1)} µs` : `${per.toFixed(0)} ns`
    process.stdout.write(
      `${name.padEnd(24)}${shown.padStart(12)}${Math.round(1e9 / per)
        .toString()
        .padStart(12)}${ratio.toFixed(2).padStart(9)}  ${verdict}\n`,
    )
  }
  process.stdout.write(
    'per-call figures are medians over the rounds; "× bare" is the median of per-round speed-ups over bare verify (higher is faster)\n',
  )
  process.exitCode = missed > 0 ? 1 : 0
} finally {
  login.close()
  child.kill('SIGTERM')
}
