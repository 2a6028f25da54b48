/**
 * The login server for the client-library benchmarks (bench/lease.ts,
 * bench/app.ts), in a child process: a fresh run/ folder, one registered
 * app, and on request signed leases. Tells the parent over IPC
 * `{ port, app, cookie, tokens }` once it listens, then stays until told to
 * stop (SIGTERM or the parent going away).
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { exitWithParent } from './support.js'

export interface LeaseServerOptions {
  /** How many extra leases to sign (distinct sessions of distinct users), for first-sight measurements. */
  tokens: number
}

export interface LeaseServerReady {
  port: number
  app: { id: string; secret: string }
  /** `login=<lease>` of a real signed-in session. */
  cookie: string
  tokens: string[]
}

const options = JSON.parse(process.argv[2] ?? '{}') as LeaseServerOptions
const runDir = mkdtempSync(join(tmpdir(), 'login-bench-'))
const app = await buildApp(loadConfig({}, { runDir, debug: true, logLevel: 'silent', rateLimit: 1_000_000 }), {
  logger: false,
})
await app.listen({ host: '127.0.0.1', port: 0 })
const address = app.server.address()
const signIn = await app.inject({ url: '/login/test/as?who=bench' })
const cookie = ([] as string[])
  .concat(signIn.headers['set-cookie'] ?? [])
  .find(c => c.startsWith('login=') && !c.startsWith('login=;'))
  ?.split(';')[0]
if (!cookie) throw new Error(`sign-in failed: ${signIn.statusCode}`)
const tokens: string[] = []
for (let i = 0; i < options.tokens; i++) {
  // The library verifies leases without asking the server, so these need no session rows.
  tokens.push(
    (
      await app.ctx.leases.issue(
        { id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, name: `user ${i}`, picture: '' },
        `bench-${i}`,
      )
    ).token,
  )
}
const ready: LeaseServerReady = {
  port: typeof address === 'object' && address ? address.port : 0,
  app: await app.ctx.apps.add('bench'),
  cookie,
  tokens,
}
process.send!(ready)

exitWithParent(() => app.close(), runDir)
