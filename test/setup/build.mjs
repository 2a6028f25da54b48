// Compiles what the tests run: the client library (client/dist) and src/, test/ and bench/ into build/, type
// checking them on the way. `tsc -b` rebuilds only what changed since the last build (a second or two when
// nothing did), so tap runs this before every run (.taprc `before`) and `npm test` starts with it.
// Compiled files whose source is gone are removed, so that tap never runs a deleted test.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../', import.meta.url))
const build = join(root, 'build')
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')

// Run by tap, this process carries tap's instrumentation (NODE_OPTIONS, _TAPJS_*): the compiler runs without it.
const env = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => name !== 'NODE_OPTIONS' && !name.startsWith('_TAPJS_')),
)
const compiled = spawnSync(process.execPath, [tsc, '-b', 'client', 'tsconfig.json'], {
  cwd: root,
  env,
  stdio: 'inherit',
})
if (compiled.status !== 0) {
  console.error('test/setup/build.mjs: the TypeScript above does not compile (tsc -b client tsconfig.json)')
  process.exit(1)
}

for (const entry of readdirSync(build, { recursive: true, withFileTypes: true })) {
  const match = /^(.*)\.js(\.map)?$/.exec(entry.name)
  if (!entry.isFile() || !match) continue
  const source = join(root, relative(build, entry.parentPath), `${match[1]}.ts`)
  if (!existsSync(source)) rmSync(join(entry.parentPath, entry.name))
}
