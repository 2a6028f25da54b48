import type { FastifyInstance } from 'fastify'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'
import { buildApp } from '../../src/app.js'
import { ManualClock } from '../../src/clock.js'
import type { Config } from '../../src/config.js'
import { PROTOCOL_VERSION } from 'modular-login-client/protocol'
import { signIn, testConfig } from './app.js'
import type { Teardown } from './teardown.js'

/** A login server listening on 127.0.0.1, port 0. */
export interface LiveServer {
  app: FastifyInstance
  config: Config
  clock: ManualClock
  url: string
  port: number
  /** Registers a client application and answers its credentials. */
  addApp(name?: string): Promise<{ id: string; secret: string }>
  signIn(who: string): Promise<string>
}

let appCount = 0

/**
 * How long a test waits for something that will happen: generous, since a
 * busy two-core machine delays timers and sockets by seconds. Tests assert
 * what happens, not how fast (latency targets live in bench/).
 */
export const PATIENCE_MS = 30_000

/** Starts a server (closed when the test ends). `runDir` shares a database with another server. */
export async function liveServer(t: Teardown, overrides: Partial<Config> = {}, port = 0): Promise<LiveServer> {
  const config = testConfig(t, overrides)
  const clock = new ManualClock()
  const app = await buildApp(config, { clock, logger: false, realtime: { heartbeatMs: 60_000 } })
  t.teardown(() => app.close())
  await app.listen({ host: '127.0.0.1', port })
  const address = app.server.address()
  const actual = typeof address === 'object' && address ? address.port : port
  return {
    app,
    config,
    clock,
    port: actual,
    url: `http://127.0.0.1:${actual}`,
    addApp: (name = `app${++appCount}`) => app.ctx.apps.add(name),
    signIn: who => signIn(app, config, who),
  }
}

/** Signs in with the server's clock set back so that the lease has already expired by real time. */
export async function expiredLease(server: LiveServer, who: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  server.clock.set(now - server.config.leaseSeconds - 5)
  const cookie = await server.signIn(who)
  server.clock.set(now)
  return cookie
}

/** A raw websocket client that queues what it receives, for protocol tests. */
export class RawClient {
  readonly messages: Record<string, unknown>[] = []
  private waiting: (() => void)[] = []
  closed: { code: number; reason: string } | null = null
  private static ids = 0

  private constructor(readonly ws: WebSocket) {
    ws.on('message', data => {
      this.messages.push(JSON.parse(data.toString()) as Record<string, unknown>)
      this.wake()
    })
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() }
      this.wake()
    })
    ws.on('error', () => {})
  }

  static async open(url: string): Promise<RawClient> {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/login/ws`)
    const client = new RawClient(ws)
    await once(ws, 'open')
    return client
  }

  /** Opens and authenticates; resolves after `synced` with the welcome message. */
  static async hello(
    url: string,
    app: { id: string; secret: string },
    cursor: number | null = null,
  ): Promise<{ client: RawClient; welcome: Record<string, unknown> }> {
    const client = await RawClient.open(url)
    client.send({ type: 'hello', version: PROTOCOL_VERSION, app: app.id, secret: app.secret, cursor })
    const welcome = await client.next('welcome')
    await client.next('synced')
    return { client, welcome }
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message))
  }

  /** The next message of this type (any type when omitted), skipping others, waiting up to `ms`. */
  next(type?: string, ms = PATIENCE_MS): Promise<Record<string, unknown>> {
    return this.nextWhere(m => type === undefined || m.type === type, ms, type ?? 'a message')
  }

  async nextWhere(
    match: (m: Record<string, unknown>) => boolean,
    ms = PATIENCE_MS,
    what = 'a matching message',
  ): Promise<Record<string, unknown>> {
    const deadline = Date.now() + ms
    for (;;) {
      const index = this.messages.findIndex(match)
      if (index >= 0) return this.messages.splice(index, 1)[0]!
      if (this.closed) throw new Error(`closed ${this.closed.code} ${this.closed.reason} while waiting for ${what}`)
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no ${what} within ${ms} ms; got ${JSON.stringify(this.messages)}`)
      await new Promise<void>(resolve => {
        const timer = setTimeout(resolve, left)
        this.waiting.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }

  /** Sends a request with a fresh id and waits for the reply carrying it. */
  request(message: Record<string, unknown>, ms = PATIENCE_MS): Promise<Record<string, unknown>> {
    const id = `r${++RawClient.ids}`
    this.send({ ...message, id })
    return this.nextWhere(m => m.id === id, ms, `the reply to ${String(message.type)}`)
  }

  async closedWith(ms = PATIENCE_MS): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + ms
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('still open')
      await new Promise(resolve => setTimeout(resolve, 10))
    }
    return this.closed
  }

  close(): void {
    this.ws.terminate()
  }

  private wake(): void {
    for (const wake of this.waiting.splice(0)) wake()
  }
}

/** Polls `check` every few ms until it answers true; answers the milliseconds it took, or throws after `ms`. */
export async function within(ms: number, check: () => Promise<boolean> | boolean, every = 5): Promise<number> {
  const start = performance.now()
  for (;;) {
    if (await check()) return performance.now() - start
    if (performance.now() - start > ms) throw new Error(`condition not met within ${ms} ms`)
    await new Promise(resolve => setTimeout(resolve, every))
  }
}

// ---- separate processes

const loader =
  process.execArgv.find(a => a.includes('@tapjs/typescript')) ??
  `--import=${new URL('../../node_modules/@tapjs/typescript/dist/esm/import.mjs', import.meta.url).href}`

/**
 * Runs a TypeScript file (a command-line program) to its end under tap's
 * loader, with `args` and extra environment; answers its exit code and what
 * it printed. One still running after `limitMs` (a server that should have
 * refused to start) is killed: its code is then null.
 */
export async function runTs(
  file: string,
  args: string[],
  env: Record<string, string>,
  limitMs = Infinity,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [loader, fileURLToPath(new URL(file, import.meta.url)), ...args], {
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1', NODE_OPTIONS: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', chunk => (stdout += chunk))
  child.stderr.on('data', chunk => (stderr += chunk))
  const limit = Number.isFinite(limitMs) ? setTimeout(() => child.kill('SIGKILL'), limitMs) : undefined
  const [code] = (await once(child, 'exit')) as [number | null]
  clearTimeout(limit)
  return { code, stdout, stderr }
}

/** A child process running a TypeScript file under tap's loader; it prints one JSON line when ready. */
export interface Child {
  process: ChildProcess
  ready: Record<string, unknown>
  output: () => string
  kill(signal?: NodeJS.Signals): Promise<void>
}

/**
 * Runs a TypeScript file in a child process; resolves once a line of its
 * stdout satisfies `ready` (by default a JSON line starting `{"ready"`).
 * Its stdin is a pipe that closes when this process dies, so fixtures that
 * exit on stdin's end never outlive a crashed test.
 */
export async function spawnTs(
  t: Teardown,
  file: string,
  env: Record<string, string>,
  {
    ready: isReady = (line: string) => line.startsWith('{"ready"'),
    timeoutMs = 10 * PATIENCE_MS,
  }: { ready?: (line: string) => boolean; timeoutMs?: number } = {},
): Promise<Child> {
  const child = spawn(process.execPath, [loader, fileURLToPath(new URL(file, import.meta.url))], {
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1', NODE_OPTIONS: '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let out = ''
  child.stderr!.on('data', chunk => {
    out += chunk
  })
  const exited = once(child, 'exit')
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal)
      await exited
    }
  }
  t.teardown(() => kill())
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    let buffer = ''
    const timer = setTimeout(() => reject(new Error(`${file} not ready within ${timeoutMs} ms: ${out}`)), timeoutMs)
    child.stdout!.on('data', chunk => {
      buffer += chunk
      const lines = buffer.split('\n')
      buffer = lines.pop()!
      for (const line of lines) {
        if (!isReady(line)) continue
        clearTimeout(timer)
        let parsed: Record<string, unknown> = {}
        try {
          parsed = JSON.parse(line) as Record<string, unknown>
        } catch {
          /* not JSON */
        }
        resolve(parsed)
      }
    })
    child.once('exit', code => {
      clearTimeout(timer)
      reject(new Error(`${file} exited with ${code}: ${out}`))
    })
  })
  return { process: child, ready, output: () => out, kill }
}
