// Builds the client library (client/dist) when its sources changed since the last build: the server, the
// tests and the benches import `modular-login-client` compiled, as an installed app does. Run by tap before
// the tests (.taprc `before`) and by bench/ts-register.mjs; `tsc -b` finds nothing to do in about a second.
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
const client = fileURLToPath(new URL('../../client', import.meta.url))
const build = spawnSync(process.execPath, [tsc, '-b', client], { stdio: 'inherit' })
if (build.status !== 0) throw new Error(`the client library does not build: tsc -b ${client} failed`)
