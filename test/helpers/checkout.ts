import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { copyFileSync, cpSync, statSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { freePort } from './free-port.js'
import { repoPath } from './repo.js'
import { tempDir } from './temp-dir.js'
import type { Teardown } from './teardown.js'

const root = repoPath()

/** How a command ended: its exit code and what it wrote (stdout and stderr together). */
export interface Run {
  code: number | null
  out: string
}

/** Runs a command to its end. */
export async function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<Run> {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', chunk => (out += chunk))
  child.stderr.on('data', chunk => (out += chunk))
  const [code] = (await once(child, 'exit')) as [number | null]
  return { code, out }
}

/**
 * A checkout of its own, as an operator has one for `./server.sh`: the
 * script, the sources and dependencies linked, and dist/ a copy of the
 * tests' build of src/ (build/src, laid out as `npm run build` lays out
 * dist/), so that nothing touches the repository's dist/ or run/ while other
 * tests use them. The copy is newer than every source: server.sh finds
 * nothing to rebuild.
 */
export async function checkout(t: Teardown): Promise<string> {
  const lock = statSync(join(root, 'package-lock.json')).mtimeMs
  const installed = statSync(join(root, 'node_modules/.package-lock.json')).mtimeMs
  // server.sh would run npm ci through the link, in the repository's own node_modules.
  if (lock > installed + 1000) throw new Error('node_modules is older than package-lock.json: run npm ci first')
  const dir = tempDir(t, 'login-server-sh-')
  copyFileSync(join(root, 'server.sh'), join(dir, 'server.sh'))
  for (const name of ['node_modules', 'src', 'client', 'templates', 'static', 'package.json', 'package-lock.json'])
    symlinkSync(join(root, name), join(dir, name))
  cpSync(join(root, 'build', 'src'), join(dir, 'dist'), { recursive: true })
  return dir
}

/**
 * The environment `./server.sh` runs with in a test: only PATH and HOME of
 * the caller's, the server on loopback at a free port (`LOGIN_PORT`), a free
 * port for its memcached, a generous start, and `settings` over these.
 */
export async function serverEnv(settings: NodeJS.ProcessEnv = {}): Promise<NodeJS.ProcessEnv> {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LOGIN_HOST: '127.0.0.1',
    LOGIN_PORT: String(await freePort()),
    LOGIN_MEMCACHED_PORT: String(await freePort()),
    LOGIN_START_SECONDS: '300',
    ...settings,
  }
}
