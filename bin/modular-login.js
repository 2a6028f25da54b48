#!/usr/bin/env node
// Runs the compiled CLI, building it first when the checkout is new or its
// sources changed since the last build (as server.sh does).
import { existsSync, readdirSync, statSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const entry = join(root, 'dist', 'cli', 'index.js')
// The server's sources and those of the client library it imports (client/, an npm workspace).
const sources = [join(root, 'src'), join(root, 'client', 'src')]

function stale() {
  if (!existsSync(entry)) return true
  if (!existsSync(sources[0])) return false // an installed package ships dist/ only
  const built = statSync(entry).mtimeMs
  return sources.some(dir =>
    readdirSync(dir, { recursive: true }).some(file => statSync(join(dir, String(file))).mtimeMs > built),
  )
}

if (stale()) {
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' })
  if (build.status !== 0) process.exit(build.status ?? 1)
}
const { main } = await import(new URL(`file://${entry}`).href)
process.exitCode = await main(process.argv.slice(2))
