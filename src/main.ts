import { pathToFileURL } from 'node:url'
import { buildApp } from './app.js'
import { loadConfig } from './config.js'
import { isLoginError } from './errors.js'

/** Process entry: configuration from the environment, then serve until a signal. */
export async function serve(): Promise<void> {
  let config
  let app
  try {
    config = loadConfig()
    // Building checks what only the areas understand (credentials.json, OpenID discovery): same treatment.
    app = await buildApp(config)
  } catch (error) {
    if (isLoginError(error)) {
      process.stderr.write(`modular-login: ${error.message}\n`)
      process.exit(2)
    }
    throw error
  }
  const close = async (signal: string) => {
    app.log.info({ signal }, 'shutting down')
    await app.close()
    process.exit(0)
  }
  process.once('SIGINT', close)
  process.once('SIGTERM', close)
  await app.listen({ port: config.port, host: config.host })
  app.log.info({ url: config.publicUrl, debug: config.debug, providers: app.ctx.providers.list().map(p => p.id) }, 'modular-login ready')
}

// Started as `node dist/main.js` (server.sh) rather than imported by the CLI.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await serve()
