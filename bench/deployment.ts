/**
 * What bench/nodes.ts and bench/sizing.ts share: login server nodes in
 * processes of their own (bench/target-server.ts) configured as in
 * production (no debug mode, info logs to a file), the OpenID provider their
 * users sign in with (bench/mock-issuer.ts), a user's full sign-in through
 * it, one keep-alive connection for back-to-back requests, and the
 * processes' memory and CPU time.
 */
import { decodeJwt } from 'jose'
import { execFileSync, type ChildProcess } from 'node:child_process'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { Agent, request as httpRequest } from 'node:http'
import { connect } from 'node:net'
import { availableParallelism, loadavg } from 'node:os'
import { join } from 'node:path'
import { freePort, tempDir } from '../test/helpers/app.js'
import { startMemcached } from '../test/helpers/memcached.js'
import { writeCredentials } from '../test/helpers/oauth.js'
import { runTs } from '../test/helpers/realtime.js'
import type { Teardown } from '../test/helpers/teardown.js'
import type { MockIssuerReady } from './mock-issuer.js'
import type { MemoryReport, TargetOptions, TargetReady } from './target-server.js'
import { forkReady, median, medianRatio, type LoadRow } from './support.js'

/** The provider's name in credentials.json: users are `oidc:mock:<name>`. */
export const PROVIDER = 'mock'

/** What the bench started, stopped in reverse order at the end (what the test helpers take as `t`). */
export class Teardowns implements Teardown {
  private readonly steps: (() => unknown)[] = []

  teardown(step: () => unknown): void {
    this.steps.push(step)
  }

  async run(): Promise<void> {
    for (const step of this.steps.reverse()) await step()
  }
}

/**
 * Runs a bench: `body` with what it starts stopped at the end, the machine's
 * load printed before and after; exit code 1 unless `body` answers true (a
 * failure is printed, not thrown).
 */
export async function runBench(name: string, body: (t: Teardowns) => Promise<boolean>): Promise<void> {
  const t = new Teardowns()
  let ok = false
  try {
    process.stdout.write(`bench:${name}: machine: ${machineLoad()}\n`)
    ok = await body(t)
    process.stdout.write(`machine: ${machineLoad()} at the end\n`)
  } catch (error) {
    process.stdout.write(`\nbench:${name} failed: ${(error as Error).stack ?? String(error)}\n`)
  } finally {
    await t.run()
  }
  process.exitCode = ok ? 0 : 1
}

/** How the nodes run, for a bench's first lines. */
export function nodesAre(logLevel: string): string {
  return (
    `production mode (no LOGIN_DEBUG), LOGIN_LOG_LEVEL=${logLevel} to a file, users signed in through an OpenID ` +
    'provider on loopback (LOGIN_RATE_LIMIT lifted: every user comes from 127.0.0.1)'
  )
}

/** What the nodes of a bench share and measure against, started before them. */
export interface Services {
  /** memcached servers (one memcached, started as the tests start it). */
  memcached: string[]
  /** `LOGIN_CREDENTIALS`, naming the OpenID provider. */
  credentials: string
  /** A bare Fastify hello-world, the baseline. */
  hello: TargetProcess
}

/** Starts memcached, the OpenID provider and the hello-world. */
export async function startServices(t: Teardowns): Promise<Services> {
  const memcached = await startMemcached()
  if (!memcached) throw new Error('memcached is not installed (/usr/bin/memcached)')
  t.teardown(() => memcached.kill())
  return { memcached: memcached.servers, credentials: await startIssuer(t), hello: await startHelloWorld(t) }
}

/** Starts the OpenID provider and writes a credentials.json naming it; answers the file's path. */
async function startIssuer(t: Teardowns): Promise<string> {
  const { ready, stop } = await forkReady<MockIssuerReady>('./mock-issuer.ts', {})
  t.teardown(stop)
  const entry = { issuer: ready.issuer, id: 'bench', secret: 'bench-secret', scope: 'openid profile', label: 'Mock' }
  return writeCredentials(t, { oidc: { [PROVIDER]: entry } })
}

/** Heap used and RSS of a process, in bytes. */
export interface Memory {
  heapUsed: number
  rss: number
}

/** A bench/target-server.ts process, started by {@link startHelloWorld} or {@link startNode}. */
export interface TargetProcess {
  url: string
  pid: number
  /** Its memory after a full garbage collection, as it measures it. */
  memory(): Promise<Memory>
  /** A clean shutdown (SIGTERM); resolves once it has exited. */
  stop(): Promise<void>
}

/**
 * Forks bench/target-server.ts with --expose-gc (for {@link TargetProcess.memory}),
 * its standard output the file `log` when given; it is stopped at the end.
 */
async function startTarget(
  t: Teardowns,
  options: TargetOptions,
  log?: string,
): Promise<TargetProcess & { ready: TargetReady }> {
  const fd = log === undefined ? undefined : openSync(log, 'a')
  try {
    const { child, ready, stop } = await forkReady<TargetReady>('./target-server.ts', options, {
      execArgv: [...process.execArgv, '--expose-gc'],
      stdout: fd ?? 'ignore',
    })
    t.teardown(stop)
    return { url: `http://127.0.0.1:${ready.port}`, pid: child.pid!, ready, stop, memory: () => memoryOf(child) }
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

function memoryOf(child: ChildProcess): Promise<Memory> {
  return new Promise(resolve => {
    const listener = (message: MemoryReport) => {
      if (message.type !== 'memory') return
      child.off('message', listener)
      resolve({ heapUsed: message.heapUsed, rss: message.rss })
    }
    child.on('message', listener)
    child.send({ type: 'memory' })
  })
}

/** A bare Fastify hello-world, logger off (bench/target-server.ts, as bench:check's baseline). */
function startHelloWorld(t: Teardowns): Promise<TargetProcess> {
  return startTarget(t, { kind: 'hello', memcached: [], logLevel: 'silent' })
}

/** A login server node: where its state lives, and the OpenID provider it signs users in with. */
export interface NodeSettings {
  /** memcached servers; none: the in-process cache. */
  memcached: string[]
  /** `LOGIN_DATABASE` (PostgreSQL); SQLite in `runDir` when absent. */
  database?: string
  /** `LOGIN_RUN_DIR`: SQLite's file is there; a fresh folder when absent. */
  runDir?: string
  /** `LOGIN_CREDENTIALS`, written by {@link startIssuer}. */
  credentials: string
  /** `LOGIN_LOG_LEVEL` (info). */
  logLevel?: string
}

/** A node started by {@link startNode}. */
export interface NodeProcess extends TargetProcess {
  /** A lease cookie (`name=value`) of the user bench/target-server.ts signs in. */
  cookie: string
}

/**
 * Starts a node as `server.sh start` runs one: not in debug mode, info logs
 * written to `server.log` in its run folder, on 127.0.0.1 at a free port
 * that its public URL names. Sign-ins are rate-limited per client IP, and
 * every simulated user here comes from 127.0.0.1: the limit is lifted.
 */
export async function startNode(t: Teardowns, settings: NodeSettings): Promise<NodeProcess> {
  const port = await freePort()
  const runDir = settings.runDir ?? tempDir(t, 'login-bench-node-')
  const options: TargetOptions = {
    kind: 'login',
    memcached: settings.memcached,
    logLevel: settings.logLevel ?? 'info',
    ...(settings.database ? { database: settings.database } : {}),
    config: {
      runDir,
      port,
      publicUrl: `http://127.0.0.1:${port}`,
      credentialsPath: settings.credentials,
      rateLimit: 1_000_000,
    },
  }
  const node = await startTarget(t, options, join(runDir, 'server.log'))
  return { ...node, cookie: node.ready.cookie! }
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

/** Prints the rows' median requests per second and their ratio to the first row (the median of per-round ratios). */
export function printRows(rows: readonly LoadRow[]): void {
  const [baseline] = rows
  process.stdout.write(`${'target'.padEnd(44)}${'req/s'.padStart(8)}${'ratio'.padStart(8)}\n`)
  for (const row of rows) {
    const ratio = medianRatio(row.rps, baseline!.rps)
    process.stdout.write(
      `${row.name.padEnd(44)}${Math.round(median(row.rps)).toString().padStart(8)}${ratio.toFixed(2).padStart(8)}\n`,
    )
  }
}

/**
 * How many `get`s a memcached has answered (its `cmd_get` statistic): the
 * difference over a check bench says whether checks were answered from the
 * node's memory (none) or asked of the cache (docs/operating.md, "Running
 * several nodes": while a node's change log is behind).
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

/** The machine's load average over the last minute, against its cores: how much else ran while the bench measured. */
function machineLoad(): string {
  return `load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`
}

/** Bytes as KiB with one decimal. */
export function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`
}

/** Bytes as MiB with one decimal. */
export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}
