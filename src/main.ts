import type { FastifyInstance } from 'fastify'
import cluster from 'node:cluster'
import { pathToFileURL } from 'node:url'
import { buildApp } from './app.js'
import { loadConfig, type Config } from './config.js'
import { isLoginError } from './errors.js'
import { serveClusterMetrics } from './metrics/plugin.js'
import { turnOffPretenuring } from './pretenuring.js'

/** Process entry: configuration from the environment, then serve until a signal. */
export async function serve(): Promise<void> {
  turnOffPretenuring()
  // Whatever the server writes (database journals, keys, secrets) is for its own user only.
  process.umask(0o077)
  let config
  let app
  try {
    config = loadConfig()
    // Building checks what only the areas understand (credentials.json, OpenID discovery): same treatment.
    app = await buildApp(config)
  } catch (error) {
    if (isLoginError(error)) {
      process.stderr.write(`modular-login: ${error.message}\n`)
      process.exit(1)
    }
    throw error
  }
  if (config.workers > 1 && cluster.isPrimary) return supervise(app, config)
  const close = async (signal: string) => {
    app.ctx.log.info({ signal }, 'shutting down')
    await app.close()
    process.exit(0)
  }
  process.once('SIGINT', close)
  process.once('SIGTERM', close)
  await app.listen({ port: config.port, host: config.host })
  app.ctx.log.info(
    { url: config.publicUrl, debug: config.debug, providers: app.ctx.providers.list().map(p => p.id) },
    'modular-login ready',
  )
}

/**
 * `LOGIN_WORKERS` > 1: this process only supervises. It has built the app
 * once, so the database is migrated and the keys and secrets exist before
 * workers could race to create them; then it forks the workers, which share
 * the port (node:cluster) and `run/`. Each worker tails the revocation log,
 * so an app connected to any of them hears of revocations made through any
 * other. A worker that dies is replaced.
 */
async function supervise(app: FastifyInstance, config: Config): Promise<void> {
  await app.close()
  await serveClusterMetrics(config, app.ctx.log)
  let stopping = false
  for (let i = 0; i < config.workers; i++) cluster.fork()
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0)
      return
    }
    app.ctx.log.error({ pid: worker.process.pid, code, signal }, 'worker died; starting another')
    setTimeout(() => cluster.fork(), 1000)
  })
  const stop = (signal: string) => {
    app.ctx.log.info({ signal }, 'shutting down the workers')
    stopping = true
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGTERM')
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  app.ctx.log.info({ workers: config.workers, port: config.port }, 'modular-login supervising its workers')
}

// Started as `node dist/main.js` (server.sh) rather than imported by the CLI.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await serve()
