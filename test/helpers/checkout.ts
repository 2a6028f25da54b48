import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { copyFileSync, statSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort, tempDir } from './app.js'
import type { Teardown } from './teardown.js'

const root = fileURLToPath(new URL('../../', import.meta.url))

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
 * script, the sources and dependencies linked, and dist/ built from the
 * current sources there, so that nothing touches the repository's dist/ or
 * run/ while other tests use them.
 */
export async function checkout(t: Teardown): Promise<string> {
  const lock = statSync(join(root, 'package-lock.json')).mtimeMs
  const installed = statSync(join(root, 'node_modules/.package-lock.json')).mtimeMs
  // server.sh would run npm ci through the link, in the repository's own node_modules.
  if (lock > installed + 1000) throw new Error('node_modules is older than package-lock.json: run npm ci first')
  const dir = tempDir(t, 'login-server-sh-')
  copyFileSync(join(root, 'server.sh'), join(dir, 'server.sh'))
  for (const name of ['node_modules', 'src', 'client', 'templates', 'package.json', 'package-lock.json'])
    symlinkSync(join(root, name), join(dir, name))
  const tsc = join(root, 'node_modules/typescript/bin/tsc')
  const build = await run(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', join(dir, 'dist')], {
    cwd: root,
  })
  if (build.code !== 0) throw new Error(`build failed: ${build.out}`)
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
