/**
 * One login server node of bench/nodes.ts and bench/sizing.ts, in a process
 * of its own: configured by the LOGIN_* variables it is given (its JSON
 * argument), read by `loadConfig` as `src/main.ts` reads them, then built and
 * served the same way. Its standard output is the log file the parent opened,
 * as `server.sh start` writes run/server.log: a pipe to the bench would make
 * each log line wait for the bench's busy event loop, since Node writes to
 * pipes synchronously.
 *
 * Tells the parent `{ port }` once it listens, and answers each `memory`
 * message with `process.memoryUsage()` taken after a full garbage collection
 * (the parent runs it with --expose-gc).
 */
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { exitWithParent } from './support.js'

export interface NodeServerOptions {
  env: Record<string, string>
}

export interface NodeServerReady {
  port: number
}

export interface MemoryReport {
  type: 'memory'
  heapUsed: number
  rss: number
}

const options = JSON.parse(process.argv[2] ?? '{}') as NodeServerOptions
const config = loadConfig(options.env)
const app = await buildApp(config)
await app.listen({ port: config.port, host: config.host })

process.on('message', (message: { type?: string }) => {
  if (message.type !== 'memory') return
  // Twice: what the first collection finalises, the second frees.
  global.gc?.()
  global.gc?.()
  const { heapUsed, rss } = process.memoryUsage()
  process.send!({ type: 'memory', heapUsed, rss } satisfies MemoryReport)
})
process.send!({ port: config.port } satisfies NodeServerReady)
exitWithParent(() => app.close())
