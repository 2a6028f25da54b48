/**
 * What bench/nodes.ts and bench/sizing.ts share: login server nodes in
 * processes of their own (bench/node-server.ts) configured as in production
 * (no debug mode, info logs to a file), the OpenID provider their users sign
 * in with (bench/mock-issuer.ts), a user's full sign-in through it, one
 * keep-alive connection for back-to-back requests, and throughput rows
 * measured with autocannon in alternating rounds.
 */
import { decodeJwt } from 'jose'
import { execFileSync } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { Agent, request as httpRequest } from 'node:http'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../test/helpers/app.js'
import { runTs } from '../test/helpers/realtime.js'
import type { MockIssuerReady } from './mock-issuer.js'
import type { MemoryReport, NodeServerOptions, NodeServerReady } from './node-server.js'
import type { TargetOptions, TargetReady } from './target-server.js'
import { forkReady, median, loadTarget, type Forked, type LoadTarget } from './support.js'

/** The provider's name in credentials.json: users are `oidc:mock:<name>`. */
export const PROVIDER = 'mock'

/** What the bench started, stopped in reverse order at the end (the shape the test helpers take as `t`). */
export class Teardowns {
  private readonly steps: (() => unknown)[] = []

  teardown(step: () => unknown): void {
    this.steps.push(step)
  }

  /** A temporary folder, removed at the end. */
  dir(prefix: string): string {
    const dir = mkdtempSync(join(tmpdir(), prefix))
    this.teardown(() => rmSync(dir, { recursive: true, force: true }))
    return dir
  }

  async run(): Promise<void> {
    for (const step of this.steps.reverse()) await step()
  }
}

/** Starts the OpenID provider and writes a credentials.json naming it; answers the file's path. */
export async function startIssuer(t: Teardowns): Promise<string> {
  const { ready, stop } = await forkReady<MockIssuerReady>('./mock-issuer.ts', {})
  t.teardown(stop)
  const path = join(t.dir('login-bench-credentials-'), 'credentials.json')
  const entry = { issuer: ready.issuer, id: 'bench', secret: 'bench-secret', scope: 'openid profile', label: 'Mock' }
  writeFileSync(path, JSON.stringify({ oidc: { [PROVIDER]: entry } }))
  return path
}

/**
 * Forks a bench child (a path relative to `bench/`) whose standard output
 * is `server.log` in `dir`, as `server.sh start` writes run/server.log; it
 * is stopped at the end.
 */
async function forkLogging<T>(
  t: Teardowns,
  script: string,
  options: unknown,
  dir: string,
  execArgv = process.execArgv,
): Promise<Forked<T>> {
  const log = openSync(join(dir, 'server.log'), 'a')
  try {
    const forked = await forkReady<T>(script, options, { execArgv, stdout: log })
    t.teardown(forked.stop)
    return forked
  } finally {
    closeSync(log)
  }
}

/** A bare Fastify hello-world (bench/target-server.ts) logging at `logLevel` as the nodes do; answers its URL. */
export async function startHelloWorld(t: Teardowns, logLevel: string): Promise<string> {
  const options: TargetOptions = { kind: 'hello', memcached: [], logLevel }
  const { ready } = await forkLogging<TargetReady>(t, './target-server.ts', options, t.dir('login-bench-hello-'))
  return `http://127.0.0.1:${ready.port}/`
}

/** A node started by {@link startNode}. */
export interface NodeProcess {
  url: string
  port: number
  pid: number
  /** Its memory after a full garbage collection, as it measures it. */
  memory(): Promise<{ heapUsed: number; rss: number }>
  /** A clean shutdown (SIGTERM); resolves once it has exited. */
  stop(): Promise<void>
}

/**
 * Starts a node with `env` over production-like defaults: no debug mode,
 * info logs (written to `server.log` in its run folder), on 127.0.0.1 at a
 * free port unless `LOGIN_PORT` is given. Sign-ins are rate-limited per
 * client IP, and every simulated user here comes from 127.0.0.1: the limit
 * is lifted.
 */
export async function startNode(t: Teardowns, env: Record<string, string>): Promise<NodeProcess> {
  const port = Number(env.LOGIN_PORT ?? (await freePort()))
  const runDir = env.LOGIN_RUN_DIR ?? t.dir('login-bench-node-')
  const settings: NodeServerOptions = {
    env: {
      LOGIN_LOG_LEVEL: 'info',
      LOGIN_HOST: '127.0.0.1',
      LOGIN_PORT: String(port),
      LOGIN_PUBLIC_URL: `http://127.0.0.1:${port}`,
      LOGIN_RUN_DIR: runDir,
      LOGIN_RATE_LIMIT: '1000000',
      ...env,
    },
  }
  const { child, stop } = await forkLogging<NodeServerReady>(t, './node-server.ts', settings, runDir, [
    ...process.execArgv,
    '--expose-gc',
  ])
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid!,
    stop,
    memory() {
      return new Promise(resolve => {
        const listener = (message: MemoryReport) => {
          if (message.type !== 'memory') return
          child.off('message', listener)
          resolve({ heapUsed: message.heapUsed, rss: message.rss })
        }
        child.on('message', listener)
        child.send({ type: 'memory' })
      })
    },
  }
}

/** `modular-login <args>` as an operator runs it, configured by `env` (the nodes' LOGIN_DATABASE or LOGIN_RUN_DIR). */
export async function cli(env: Record<string, string>, ...args: string[]): Promise<string> {
  const { code, stdout, stderr } = await runTs('../nodes/cli.ts', args, env)
  if (code !== 0) throw new Error(`modular-login ${args.join(' ')} exited with ${code}: ${stderr}`)
  return stdout
}

/** A signed-in user: the lease cookie as `name=value`, the session's id and the user's. */
export interface SignedIn {
  cookie: string
  sid: string
  user: string
}

function expectStatus(response: Response, status: number, what: string): Response {
  if (response.status !== status) throw new Error(`${what}: answered ${response.status}, expected ${status}`)
  return response
}

/**
 * Signs `who` in on a node through the OpenID provider, as a browser does:
 * the node's start (which sets the flow cookie and redirects to the
 * provider), the provider's authorization (which redirects back with a
 * code), and the node's callback (which exchanges the code, verifies the ID
 * token, writes the user and the session, and sets the lease cookie).
 */
export async function signIn(node: { url: string }, who: string): Promise<SignedIn> {
  const start = expectStatus(
    await fetch(`${node.url}/login/oidc/${PROVIDER}?next=/`, { redirect: 'manual' }),
    302,
    `sign-in start on ${node.url}`,
  )
  const flow = start.headers
    .getSetCookie()
    .map(c => c.split(';')[0]!)
    .join('; ')
  const authorize = new URL(start.headers.get('location')!)
  authorize.searchParams.set('login_hint', who)
  const back = expectStatus(await fetch(authorize, { redirect: 'manual' }), 302, 'the provider')
  const done = expectStatus(
    await fetch(back.headers.get('location')!, { headers: { cookie: flow }, redirect: 'manual' }),
    303,
    `sign-in callback on ${node.url}`,
  )
  await done.arrayBuffer()
  const lease = done.headers.getSetCookie().find(c => c.startsWith('login=') && !c.startsWith('login=;'))
  if (!lease) throw new Error(`sign-in on ${node.url} set no lease cookie`)
  const cookie = lease.split(';')[0]!
  const claims = decodeJwt(cookie.slice('login='.length))
  return { cookie, sid: claims.sid as string, user: claims.sub! }
}

/** Runs `task(0)` … `task(count - 1)`, `concurrency` at a time; answers their results in order. */
export async function inParallel<T>(count: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array<T>(count)
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++
        results[i] = await task(i)
      }
    }),
  )
  return results
}

/** One keep-alive HTTP connection: requests on it go one after the other, without a new handshake each. */
export class KeepAlive {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 })

  constructor(private readonly base: string) {}

  /** Sends a request and answers its status and body once the body has arrived. */
  send(method: string, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const request = httpRequest(`${this.base}${path}`, { method, headers, agent: this.agent }, response => {
        let body = ''
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => (body += chunk))
        response.on('end', () => resolve({ status: response.statusCode!, body }))
        response.on('error', reject)
      })
      request.on('error', reject)
      request.end()
    })
  }

  close(): void {
    this.agent.destroy()
  }
}

/** A target for autocannon: `path` on `base`, with a cookie when given. */
export function loadTargetOf(name: string, base: string, path: string, cookie?: string): LoadTarget {
  return { name, url: `${base}${path}`, headers: cookie ? { cookie } : {}, rps: [], p50: [], p99: [] }
}

/** A row of a throughput table: targets loaded at the same time, whose requests per second add up. */
export interface LoadRow {
  name: string
  targets: LoadTarget[]
  rps: number[]
  /** Requests answered in all, warm-up included. */
  requests: number
}

/** A row for {@link measureRows}. */
export function loadRow(name: string, ...targets: LoadTarget[]): LoadRow {
  return { name, targets, rps: [], requests: 0 }
}

/**
 * Warms every row up, then measures the rows in turn for a few rounds, so
 * that each round's ratios compare figures taken seconds apart. Each target
 * of a row gets `connections` of its own. Any failed request fails the bench.
 */
export async function measureRows(
  rows: readonly LoadRow[],
  options: { warmup: number; duration: number; rounds: number; connections: number },
): Promise<void> {
  const load = async (row: LoadRow, seconds: number) => {
    const results = await Promise.all(row.targets.map(target => loadTarget(target, seconds, options.connections)))
    for (const result of results) row.requests += result.requests.total
    return results.reduce((sum, result) => sum + result.requests.average, 0)
  }
  for (const row of rows) await load(row, options.warmup)
  for (let round = 1; round <= options.rounds; round++) {
    for (const row of rows) row.rps.push(await load(row, options.duration))
    process.stdout.write(`  round ${round}: ${rows.map(row => Math.round(row.rps.at(-1)!)).join(' / ')} req/s\n`)
  }
}

/** Prints the rows' median requests per second and their ratio to the first row (the median of per-round ratios). */
export function printRows(rows: readonly LoadRow[]): void {
  const [baseline] = rows
  process.stdout.write(`${'target'.padEnd(44)}${'req/s'.padStart(8)}${'ratio'.padStart(8)}\n`)
  for (const row of rows) {
    const ratio = median(row.rps.map((rps, round) => rps / baseline!.rps[round]!))
    process.stdout.write(
      `${row.name.padEnd(44)}${Math.round(median(row.rps)).toString().padStart(8)}${ratio.toFixed(2).padStart(8)}\n`,
    )
  }
}

/**
 * How many `get`s a memcached has answered (its `cmd_get` statistic): the
 * difference over a check bench says whether checks were answered from the
 * node's memory (none) or asked of the cache (README, "Running several
 * nodes": while a node's change log is behind).
 */
export function memcachedGets(server: string): Promise<number> {
  const [host, port] = server.split(':')
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), host!)
    let answer = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      answer += chunk
      if (!answer.endsWith('END\r\n')) return
      socket.end()
      const gets = /^STAT cmd_get (\d+)\r$/m.exec(answer)
      if (gets) resolve(Number(gets[1]))
      else reject(new Error(`memcached stats without cmd_get: ${answer.slice(0, 200)}`))
    })
    socket.on('error', reject)
    socket.write('stats\r\n')
  })
}

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim())

/**
 * The CPU time a process has used so far, user and system, in milliseconds
 * (from /proc/<pid>/stat): the difference over a bench says what each
 * operation cost the node itself, however busy the machine was.
 */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name (in parentheses, which may hold spaces): state is the 3rd field, utime the 14th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND) * 1000
}

/** Bytes as KiB with one decimal. */
export function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`
}
