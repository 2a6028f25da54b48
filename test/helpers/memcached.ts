import { spawn, type ChildProcess } from 'node:child_process'
import { constants } from 'node:fs'
import { access } from 'node:fs/promises'
import { connect } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { freePort } from './free-port.js'

const BINARY = '/usr/bin/memcached'

/** A memcached of our own on loopback. */
export interface MemcachedProcess {
  /** `127.0.0.1:<port>`, ready for `createCache`. */
  readonly servers: string[]
  readonly port: number
  /** Kills it abruptly (SIGKILL), as a crash would; resolves once it is gone. */
  kill(): Promise<void>
  /** Starts it again, empty, on the same port; resolves once it accepts connections. */
  restart(): Promise<void>
  /** memcached's own clock (`stats` time), in the whole seconds by which it expires entries. */
  clock(): Promise<number>
}

const running = new Set<ChildProcess>()
let exitHookInstalled = false

/**
 * Starts a fresh memcached on a free loopback port; tests own it and should
 * `kill()` it in teardown, but a forgotten one still dies with the process.
 * Answers null when memcached is not installed so that a test can skip,
 * except under CI where a skipped cache test would hide a broken setup.
 */
export async function startMemcached(): Promise<MemcachedProcess | null> {
  try {
    await access(BINARY, constants.X_OK)
  } catch {
    if (process.env.CI === 'true')
      throw new Error(`memcached is required under CI: ${BINARY} is missing or not executable`)
    return null
  }
  if (!exitHookInstalled) {
    exitHookInstalled = true
    process.on('exit', () => {
      for (const child of running) child.kill('SIGKILL')
    })
  }

  // Another process may grab the port between our probe and memcached's
  // bind, so a failed start is retried on a new port.
  let port = 0
  let child: ChildProcess | undefined
  for (let attempt = 1; child === undefined; attempt++) {
    port = await freePort()
    try {
      child = await launch(port)
    } catch (err) {
      if (attempt >= 3) throw err
    }
  }

  let current: ChildProcess | undefined = child
  return {
    servers: [`127.0.0.1:${port}`],
    port,
    async kill() {
      if (current === undefined) return
      const dying = current
      current = undefined
      await stop(dying)
    },
    async restart() {
      if (current !== undefined) await stop(current)
      current = undefined
      current = await launch(port)
    },
    clock: () => memcachedStat(`127.0.0.1:${port}`, 'time'),
  }
}

/** One statistic of a memcached's `stats` answer (`time`, `cmd_get`, …) at `host:port`. */
export function memcachedStat(server: string, name: string): Promise<number> {
  const [host, port] = server.split(':')
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), host!)
    let answer = ''
    socket.setEncoding('utf8')
    socket.once('connect', () => socket.write('stats\r\n'))
    socket.on('data', (chunk: string) => {
      answer += chunk
      if (!answer.endsWith('END\r\n')) return
      socket.destroy()
      const stat = new RegExp(`^STAT ${name} (\\d+)\r$`, 'm').exec(answer)
      if (stat) resolve(Number(stat[1]))
      else reject(new Error(`memcached at ${server} answered stats without ${name}: ${answer.slice(0, 200)}`))
    })
    socket.once('error', reject)
  })
}

async function launch(port: number): Promise<ChildProcess> {
  const args = ['-l', '127.0.0.1', '-p', String(port), '-U', '0', '-m', '64']
  // memcached refuses to run as root unless told which user to be.
  if (process.getuid?.() === 0) args.push('-u', 'root')
  const child = spawn(BINARY, args, { stdio: ['ignore', 'ignore', 'pipe'] })
  running.add(child)
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  let exited = false
  child.once('exit', () => {
    exited = true
    running.delete(child)
  })

  const deadline = Date.now() + 5000
  for (;;) {
    if (exited)
      throw new Error(`memcached on port ${port} exited at start: ${stderr.trim() || `code ${child.exitCode}`}`)
    if (await accepts(port)) return child
    if (Date.now() > deadline) {
      await stop(child)
      throw new Error(`memcached on port ${port} did not accept connections within 5 s: ${stderr.trim()}`)
    }
    await sleep(20)
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const gone = new Promise<void>(resolve => child.once('exit', () => resolve()))
  child.kill('SIGKILL')
  await gone
}

function accepts(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => {
      socket.destroy()
      resolve(false)
    })
  })
}
