/**
 * One target of bench/app.ts, in its own process: the same Fastify app,
 * with or without `login.required()` on its route. Tells the parent
 * `{ port }` over IPC once it listens (the guarded one once its client is
 * connected to the login server).
 *
 *   plain  GET /me answers a constant user object
 *   login  GET /me behind login.required() answers request.user
 */
import Fastify from 'fastify'
import { createLoginClient } from 'modular-login-client'
import { exitWithParent } from './support.js'

export interface AppTargetOptions {
  kind: 'plain' | 'login'
  server: string
  app: { id: string; secret: string }
  logLevel: string
}

const options = JSON.parse(process.argv[2] ?? '{}') as AppTargetOptions
const app = Fastify({ logger: { level: options.logLevel } })
if (options.kind === 'login') {
  const login = createLoginClient({ server: options.server, app: options.app })
  await app.register(login.fastify)
  app.get('/me', { preHandler: login.required() }, async request => request.user)
  await login.ready()
} else {
  const user = { id: '00000000-0000-4000-8000-000000000000', name: 'bench', picture: '' }
  app.get('/me', async () => user)
}
await app.listen({ host: '127.0.0.1', port: 0 })
const address = app.server.address()
process.send!({ port: typeof address === 'object' && address ? address.port : 0 })

exitWithParent(() => app.close())
