/**
 * `npm run bench:passkey`: passkey sign-ins per second against test-provider
 * sign-ins, measured in alternating rounds of the same run.
 *
 *   passkey        POST /login/passkeys/sign-in/options, then the signed
 *                  answer to POST /login/passkeys/sign-in: a challenge
 *                  written and taken back, an ES256 signature verified, the
 *                  counter recorded, a session started
 *   test provider  GET /login/test/as?who=…: the account upserted, a session
 *                  started (what every provider's callback ends with)
 *
 * The login server runs in its own process (bench/target-server.ts, debug
 * mode for the test provider, SQLite, in-process cache); each of
 * `--workers` workers here signs in over and over as its own person, one
 * sign-in at a time. Their passkeys are software ones (bench/software-authenticator.ts),
 * registered through the server's own open sign-up first.
 *
 * Target: passkey sign-ins ≥ 0.15× test-provider sign-ins (runs on the shared
 * 2-core development machine, load average 12 to 15, printed 0.19 to 0.25). A passkey sign-in
 * is two requests, three writes more (the challenge made and taken, the
 * counter) and an ECDSA check, which @simplewebauthn/server makes through
 * WebCrypto: a few asynchronous steps in Node's thread pool, about a
 * millisecond of waiting each time. Exits 1 when missed, or when a sign-in
 * fails.
 *
 * Options: --duration <s> per round and kind (3), --rounds <n> (5), --warmup <s> (2),
 * --workers <n> (16), --log-level <level> (warn).
 */
import { SoftwarePasskey } from './software-authenticator.js'
import { forkReady, loadOptions, median, medianRatio } from './support.js'
import type { TargetOptions, TargetReady } from './target-server.js'

const GOAL = 0.15
/** The origin the software passkeys say they answer from, and the server accepts. */
const ORIGIN = 'http://localhost'

const { duration, warmup, rounds, workers: count, logLevel } = loadOptions({ warmup: 2 }, { workers: 16 })
process.stdout.write(
  `bench:passkey: ${rounds} rounds of ${duration} s of each kind after a ${warmup} s warm-up, ` +
    `${count} workers signing in one at a time each\n`,
)

interface Worker {
  name: string
  passkey: SoftwarePasskey
  /** The flow cookie that binds this worker's challenges to it. */
  flow: string
}

const server = await forkReady<TargetReady>('./target-server.js', {
  kind: 'login',
  memcached: [],
  logLevel,
  config: { debug: true, passkeySignup: 'open', passkeyOrigins: [ORIGIN], rateLimit: 1_000_000_000 },
} satisfies TargetOptions)
const base = `http://127.0.0.1:${server.ready.port}`

async function post<T>(worker: Worker, path: string, body: unknown): Promise<T> {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: worker.flow },
    body: JSON.stringify(body),
  })
  const flow = response.headers.getSetCookie().find(c => c.includes('-flow='))
  if (flow) worker.flow = flow.split(';')[0]!
  if (response.status !== 200) throw new Error(`${path}: ${response.status} ${await response.text()}`)
  return (await response.json()) as T
}

/** One passkey sign-in, start to lease. */
async function passkeySignIn(worker: Worker): Promise<void> {
  const options = await post<{ challenge: string; rpId: string }>(worker, '/login/passkeys/sign-in/options', {})
  await post(worker, '/login/passkeys/sign-in', { response: worker.passkey.get(options) })
}

/** One test-provider sign-in, start to lease. */
async function testSignIn(worker: Worker): Promise<void> {
  const response = await fetch(`${base}/login/test/as?who=${encodeURIComponent(worker.name)}`, { redirect: 'manual' })
  await response.arrayBuffer()
  if (response.status !== 303) throw new Error(`test sign-in: ${response.status}`)
}

/** Every worker signs in over and over for `seconds`; answers sign-ins per second. */
async function measure(workers: Worker[], seconds: number, signIn: (worker: Worker) => Promise<void>) {
  const start = performance.now()
  const end = start + seconds * 1000
  let count = 0
  await Promise.all(
    workers.map(async worker => {
      while (performance.now() < end) {
        await signIn(worker)
        count++
      }
    }),
  )
  return count / ((performance.now() - start) / 1000)
}

let failed: boolean
try {
  const workers: Worker[] = []
  for (let i = 0; i < count; i++) {
    const worker = { name: `bench-${i}`, passkey: new SoftwarePasskey(ORIGIN), flow: '' }
    const options = await post<{ challenge: string; rp: { id: string }; user: { id: string } }>(
      worker,
      '/login/passkeys/sign-up/options',
      { name: worker.name },
    )
    await post(worker, '/login/passkeys/sign-up', { response: worker.passkey.create(options) })
    workers.push(worker)
  }
  await measure(workers, warmup, testSignIn)
  await measure(workers, warmup, passkeySignIn)
  const test: number[] = []
  const passkey: number[] = []
  for (let round = 1; round <= rounds; round++) {
    test.push(await measure(workers, duration, testSignIn))
    passkey.push(await measure(workers, duration, passkeySignIn))
    process.stdout.write(
      `  round ${round}: test provider ${Math.round(test.at(-1)!)}/s, passkey ${Math.round(passkey.at(-1)!)}/s\n`,
    )
  }
  const ratio = medianRatio(passkey, test)
  process.stdout.write(
    `\nsign-ins per second (median of ${rounds} rounds): test provider ${Math.round(median(test))}, ` +
      `passkey ${Math.round(median(passkey))}\n` +
      `passkey / test provider: ${ratio.toFixed(2)} (median of per-round ratios; goal ≥ ${GOAL}) ` +
      `${ratio >= GOAL ? 'ok' : 'MISSED'}\n`,
  )
  failed = ratio < GOAL
} catch (error) {
  process.stderr.write(`bench:passkey failed: ${(error as Error).message}\n`)
  failed = true
} finally {
  await server.stop()
}
process.exit(failed ? 1 : 0)
