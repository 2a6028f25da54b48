/**
 * A login server in its own process, for the multi-process tests: debug
 * mode on the run/ folder given as argument (whose keys already exist),
 * listening on a free loopback port, which it prints as one JSON line.
 * Stops when stdin closes (the test ended or died).
 */
import type { AddressInfo } from 'node:net'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'

const runDir = process.argv[2]
if (!runDir) throw new Error('usage: server-process.ts <run dir>')
const config = loadConfig({}, { runDir, debug: true, logLevel: 'silent', rateLimit: 100_000 })
const app = await buildApp(config, { logger: false })
await app.listen({ host: '127.0.0.1', port: 0 })
process.stdout.write(`${JSON.stringify({ port: (app.server.address() as AddressInfo).port })}\n`)
process.stdin.resume()
process.stdin.on('end', () => {
  void app.close().then(() => process.exit(0))
})
