// Loaded by tap into every test process before its test file (.taprc `node-arg`).
//
// `npx tap test/groups/acceptance.test.ts` names a TypeScript file: that process runs its compiled twin,
// build/test/groups/acceptance.test.js (tap's `before`, test/setup/build.mjs, has just built it), so a file
// run alone runs exactly as it does in the whole suite.
//
// Tiers: a file named *.int.test.ts is in the integration tier and may start processes (servers, memcached,
// PostgreSQL, nginx, Apache, a browser). Every other test file is in the unit tier and stays in-process
// (`app.inject`, or a server listening in this process): starting a process there fails the test.
import childProcess from 'node:child_process'
import module, { syncBuiltinESMExports } from 'node:module'
import { join, relative } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { measureChildCoverage } from './child-coverage.mjs'

const root = fileURLToPath(new URL('../../', import.meta.url))
const entry = process.argv[1] ?? ''

if (entry.endsWith('.ts')) {
  const from = pathToFileURL(entry).href
  const to = pathToFileURL(join(root, 'build', relative(root, entry)).replace(/\.ts$/, '.js')).href
  // In-thread hooks where Node.js has them (22.15, 24), else a hooks thread (Node.js 20): see entry-hooks.mjs.
  if (module.registerHooks)
    module.registerHooks({ resolve: (specifier, context, next) => next(specifier === from ? to : specifier, context) })
  else module.register('./entry-hooks.mjs', import.meta.url, { data: { from, to } })
}

measureChildCoverage(root)

const testFile = relative(root, entry)
  .replace(/^build\//, '')
  .replace(/\.js$/, '.ts')
if (/\.test\.ts$/.test(testFile) && !/\.int\.test\.ts$/.test(testFile)) {
  const refuse = what => {
    throw new Error(
      `${testFile} is a unit-tier test and started a process (${what}): unit tests stay in-process; ` +
        'a test that needs a process, a service or a browser goes in a file named *.int.test.ts',
    )
  }
  const { spawn } = childProcess.ChildProcess.prototype
  childProcess.ChildProcess.prototype.spawn = function (options) {
    refuse([options?.file, ...(options?.args?.slice(1) ?? [])].join(' '))
    return spawn.call(this, options)
  }
  for (const name of ['spawnSync', 'execSync', 'execFileSync'])
    childProcess[name] = (command, args) => refuse([command, ...(Array.isArray(args) ? args : [])].join(' '))
  syncBuiltinESMExports()
}

// oidc-provider warns at its import that it wants Node.js 22 or later. Under Node.js 20 (past its end of life:
// server.sh says so, and CI runs the suite under Node.js 24 as well) that one known line would otherwise be
// repeated by every test file; any other warning still shows.
if (process.versions.node.startsWith('20.')) {
  const warn = console.warn
  const known = 'oidc-provider WARNING: Unsupported runtime. Use Node.js v22.x LTS, or a later LTS release.'
  console.warn = (...args) => {
    if (!(args.length === 1 && String(args[0]).includes(known))) warn(...args)
  }
}
