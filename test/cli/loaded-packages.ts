// In a process of its own: runs one CLI command (`modular-login …`), or with `server` builds the server's app as
// a start does, then prints which of the packages below that loaded, as its last line (JSON). For
// test/cli/startup.int.test.ts.
import { createRequire } from 'node:module'

const WATCHED = ['fastify', '@fastify/oauth2', 'simple-oauth2', 'qrcode', 'yaml']

const args = process.argv.slice(2)
if (args[0] === 'server') {
  const { buildApp } = await import('../../src/app.js')
  const { loadConfig } = await import('../../src/config.js')
  const app = await buildApp(loadConfig())
  await app.ready()
  await app.close()
} else {
  const { main } = await import('../../src/cli/index.js')
  process.exitCode = await main(args)
}
const files = Object.keys(createRequire(import.meta.url).cache)
console.log(JSON.stringify(WATCHED.filter(name => files.some(file => file.includes(`/node_modules/${name}/`)))))
