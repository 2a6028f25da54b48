#!/usr/bin/env node
// Runs the compiled CLI, building it first in a fresh checkout.
import { existsSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const entry = new URL('../dist/cli/index.js', import.meta.url)
if (!existsSync(fileURLToPath(entry))) {
  const built = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' })
  if (built.status !== 0) process.exit(built.status ?? 1)
}
const { main } = await import(entry.href)
process.exitCode = await main(process.argv.slice(2))
