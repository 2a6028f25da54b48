import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { constants } from 'node:fs'
import { access, chown, mkdir, mkdtemp, readdir, realpath, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { freePort } from './free-port.js'
import type { Teardown } from './teardown.js'

const run = promisify(execFile)

/** The superuser every test connects as; loopback connections are trusted, so it has no password. */
export const SUPERUSER = 'login_test'

/** Starting, stopping and creating databases may be slow on a busy machine; none of them is expected to come close. */
const PATIENCE_MS = 60_000

/** Settings that trade durability for speed: a test cluster never outlives an operating system crash. */
const FAST_SETTINGS = ['fsync=off', 'synchronous_commit=off', 'full_page_writes=off']

/** The programs we run from the server's own bin folder (Debian keeps them out of PATH, in `/usr/lib/postgresql/<version>/bin`). */
const PROGRAMS = ['initdb', 'postgres', 'pg_isready', 'createdb'] as const

/** A PostgreSQL server of our own on loopback, with its data in a temporary folder. */
export interface PostgresCluster {
  /** `postgres://login_test@127.0.0.1:<port>/postgres`: the maintenance database, as the superuser. */
  readonly url: string
  readonly port: number
  /** Creates an empty database (named `name`, or a fresh name) and answers its URL. */
  createDatabase(name?: string): Promise<string>
  /**
   * Stops the server, keeping its data. `fast` (the default) ends every session with SQLSTATE 57P01 as an
   * administrator's shutdown does; `immediate` quits without a checkpoint, as a crash would: the next start
   * recovers from the write-ahead log, without the last moment's commits unless they were made with
   * `synchronous_commit = on` (the cluster runs with it off).
   */
  stop(mode?: 'fast' | 'immediate'): Promise<void>
  /** Stops the server if it runs and starts it again on the same port with the same data; resolves once it accepts connections. */
  restart(): Promise<void>
}

const running = new Set<ChildProcess>()
let exitHookInstalled = false
let databases = 0

/**
 * Creates a cluster in a temporary folder and starts it on a free loopback port; it is stopped and its folder
 * removed when `t` ends. Called with a test file's root `t`, one cluster serves the whole file: each test then
 * takes its own `createDatabase()`. Answers a reason string instead when PostgreSQL is not installed, so that the
 * caller can skip with it; under `CI=true` a missing PostgreSQL throws, since a skipped test would hide a broken
 * setup.
 *
 * The server refuses to run as root, so when the tests run as root, `initdb` and `postgres` run as the `postgres`
 * user that Debian's package creates, in a folder it owns.
 */
export async function startPostgres(t: Teardown): Promise<PostgresCluster | string> {
  const bin = await findBinDir()
  if (bin === null) {
    const reason =
      'PostgreSQL test needs initdb and postgres: none found in PATH or /usr/lib/postgresql/*/bin ' +
      '(apt-get install postgresql, or set POSTGRES_BIN_DIR)'
    if (process.env.CI === 'true') throw new Error(`${reason}; it is required under CI`)
    return reason
  }
  const owner = await serverOwner()
  const root = await mkdtemp(join(tmpdir(), 'login-pg-'))
  let server: Server | undefined
  t.teardown(async () => {
    await server?.stop('fast')
    await rm(root, { recursive: true, force: true })
  })
  const data = join(root, 'data')
  const sockets = join(root, 'sockets')
  await mkdir(sockets)
  if (owner !== null) {
    await chown(root, owner.uid, owner.gid)
    await chown(sockets, owner.uid, owner.gid)
  }
  await initdb(bin, owner, root, data)
  installExitHook()

  // Another process may take the port between our probe and the server's bind, so a failed first start is retried
  // on a new port; later starts (restart) keep the port, since the URLs handed out name it.
  let port = 0
  for (let attempt = 1; server === undefined; attempt++) {
    port = await freePort()
    try {
      server = await Server.start({ bin, owner, root, data, sockets, port })
    } catch (err) {
      if (attempt >= 3) throw err
    }
  }
  const base = `postgres://${SUPERUSER}@127.0.0.1:${port}`
  return {
    url: `${base}/postgres`,
    port,
    async createDatabase(name = `test_${process.pid}_${++databases}`) {
      // createdb quotes the name itself; restricting it keeps the URL free of escapes.
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name))
        throw new Error(`database name ${JSON.stringify(name)} is not [a-z_][a-z0-9_]*`)
      await run(join(bin, 'createdb'), ['-h', '127.0.0.1', '-p', String(port), '-U', SUPERUSER, name], {
        timeout: PATIENCE_MS,
      })
      return `${base}/${name}`
    },
    async stop(mode = 'fast') {
      const stopping = server
      server = undefined
      await stopping?.stop(mode)
    },
    async restart() {
      const stopping = server
      server = undefined
      await stopping?.stop('fast')
      server = await Server.start({ bin, owner, root, data, sockets, port })
    },
  }
}

/** `$POSTGRES_BIN_DIR`, then the folder of an `initdb` in PATH, then the newest `/usr/lib/postgresql/<version>/bin`. */
async function findBinDir(): Promise<string | null> {
  const candidates: string[] = []
  if (process.env.POSTGRES_BIN_DIR) candidates.push(process.env.POSTGRES_BIN_DIR)
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    // A symlink (such as /usr/local/bin/initdb) leads to the folder that also holds the server.
    const initdb = await realpath(join(dir, 'initdb')).catch(() => null)
    if (initdb !== null) candidates.push(dirname(initdb))
  }
  const versions = await readdir('/usr/lib/postgresql').catch(() => [])
  versions.sort((a, b) => Number(b) - Number(a) || b.localeCompare(a))
  candidates.push(...versions.map(version => join('/usr/lib/postgresql', version, 'bin')))
  for (const dir of candidates) if (await holdsPrograms(dir)) return dir
  return null
}

async function holdsPrograms(dir: string): Promise<boolean> {
  try {
    await Promise.all(PROGRAMS.map(program => access(join(dir, program), constants.X_OK)))
    return true
  } catch {
    return false
  }
}

interface Owner {
  uid: number
  gid: number
}

/** Who runs the server: null for ourselves, or the `postgres` user when we are root. */
async function serverOwner(): Promise<Owner | null> {
  if (process.getuid?.() !== 0) return null
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])])
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) }
  } catch {
    throw new Error(
      'PostgreSQL refuses to run as root and there is no postgres user to run it as (Debian’s package creates one)',
    )
  }
}

/** Runs `program` from `bin` as the server's owner, in `cwd` (a folder it can enter), and answers when it succeeded. */
async function runAsOwner(
  bin: string,
  owner: Owner | null,
  cwd: string,
  program: string,
  args: string[],
): Promise<void> {
  const child = spawn(join(bin, program), args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], ...owner })
  let output = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', resolve)
  })
  if (code !== 0) throw new Error(`${program} failed (exit ${code}): ${output.trim()}`)
}

function initdb(bin: string, owner: Owner | null, root: string, data: string): Promise<void> {
  return runAsOwner(bin, owner, root, 'initdb', [
    '--pgdata',
    data,
    '--username',
    SUPERUSER,
    '--auth',
    'trust',
    '--encoding',
    'UTF8',
    '--locale',
    'C',
    // Skips flushing the new files to disk, as the fast settings do for the running server.
    '--no-sync',
  ])
}

/** Stops whatever servers this process still runs when it exits without its teardown, as a failed test may. */
function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.on('exit', () => {
    for (const child of running) child.kill('SIGQUIT')
  })
}

interface ServerOptions {
  bin: string
  owner: Owner | null
  root: string
  data: string
  sockets: string
  port: number
}

/**
 * One run of the server, as our own child process rather than daemonised by `pg_ctl`: it cannot outlive the test
 * process unnoticed, and its log is at hand when it fails to start.
 */
class Server {
  private log = ''
  private spawnFailed = false

  private constructor(private readonly child: ChildProcess) {
    // A program that cannot be started emits 'error' and never 'exit'.
    child.once('error', error => {
      this.spawnFailed = true
      this.log += error.message
    })
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      // The end of the log is what explains a failure; a long run must not grow it without bound.
      this.log = (this.log + chunk).slice(-16_384)
    })
  }

  static async start({ bin, owner, root, data, sockets, port }: ServerOptions): Promise<Server> {
    const settings = [
      `port=${port}`,
      'listen_addresses=127.0.0.1',
      `unix_socket_directories=${sockets}`,
      ...FAST_SETTINGS,
    ]
    const child = spawn(join(bin, 'postgres'), ['-D', data, ...settings.flatMap(setting => ['-c', setting])], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'pipe'],
      ...owner,
    })
    running.add(child)
    child.once('exit', () => running.delete(child))
    const server = new Server(child)
    await server.ready(bin, port)
    return server
  }

  private get exited(): boolean {
    return this.spawnFailed || this.child.exitCode !== null || this.child.signalCode !== null
  }

  /** Polls with `pg_isready` until the server accepts connections, fails as soon as it exits. */
  private async ready(bin: string, port: number): Promise<void> {
    const deadline = Date.now() + PATIENCE_MS
    for (;;) {
      if (this.exited) throw new Error(`PostgreSQL on port ${port} exited at start: ${this.log.trim()}`)
      const probe = ['-q', '-h', '127.0.0.1', '-p', String(port), '-U', SUPERUSER, '-d', 'postgres']
      const accepting = await run(join(bin, 'pg_isready'), probe, { timeout: 10_000 }).then(
        () => true,
        () => false,
      )
      if (accepting) return
      if (Date.now() > deadline) {
        await this.stop('immediate')
        throw new Error(
          `PostgreSQL on port ${port} did not accept connections within ${PATIENCE_MS / 1000} s: ${this.log.trim()}`,
        )
      }
      await sleep(50)
    }
  }

  /** Signals the postmaster (SIGINT: fast shutdown, SIGQUIT: immediate) and waits until it has exited. */
  async stop(mode: 'fast' | 'immediate'): Promise<void> {
    if (this.exited) return
    const gone = new Promise<void>(resolve => this.child.once('exit', () => resolve()))
    this.child.kill(mode === 'fast' ? 'SIGINT' : 'SIGQUIT')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), PATIENCE_MS)
    await gone
    clearTimeout(timer)
  }
}
