/**
 * One benchmark target, run in a child process of a bench (bench/check.ts,
 * and the nodes of bench/nodes.ts and bench/sizing.ts) so that the server
 * and the load generator do not share a thread. Both targets are
 * started by this same script, with the same Node flags, so the only
 * difference is what a request does.
 *
 *   hello  a bare Fastify answering "hello world", logger off
 *   login  the login server (`buildApp`) as `server.sh start` runs it (not in
 *          debug mode), with one signed-in user
 *
 * Tells the parent `{ port, cookie? }` over IPC once it listens, and answers
 * each `memory` message with `process.memoryUsage()` taken after a full
 * garbage collection (when the parent runs it with --expose-gc).
 */
import Fastify from 'fastify'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildApp } from '../src/app.js'
import { loadConfig, type Config } from '../src/config.js'
import { turnOffPretenuring } from '../src/pretenuring.js'
import { checkRule } from '../src/rules/rule-spec.js'
import { exitWithParent } from './support.js'

export interface TargetOptions {
  kind: 'hello' | 'login'
  /** memcached servers for the login server; empty = in-process cache. */
  memcached: string[]
  /** Log level of the login server (pino, written to this child's stdout: discarded, or a log file of the parent's). */
  logLevel: string
  /** Login only: `LOGIN_DATABASE` (PostgreSQL); SQLite in a fresh run directory when absent. */
  database?: string
  /** Login only: register an app (its credentials come back in `ready.app`) and give the user a group. */
  app?: boolean
  /**
   * Login only: `count` access rules, the one in the middle letting the
   * signed-in user (a member of the group `bench`) through to `host` and
   * `path`, the others matching other hosts and paths.
   */
  rules?: { count: number; host: string; path: string }
  /** Login only: `LOGIN_CHANNEL_RATE_LIMIT` (the server's default when absent). */
  channelRateLimit?: number
  /**
   * Login only: further settings, over the ones above: a `runDir` of the
   * caller's (kept when this target exits; SQLite's file is there), a `port`
   * that `publicUrl` names (OAuth callbacks come back to it), `credentialsPath`…
   */
  config?: Partial<Config>
}

export interface TargetReady {
  port: number
  /** `name=value` of a valid lease cookie (login only). */
  cookie?: string
  /** With `app`: its credentials, and the signed-in user's id, a member of the group `bench`. */
  app?: { id: string; secret: string }
  user?: string
}

export interface MemoryReport {
  type: 'memory'
  heapUsed: number
  rss: number
}

const options = JSON.parse(process.argv[2] ?? '{}') as TargetOptions
// As the server's own entry does (src/main.ts), for every target alike.
turnOffPretenuring()
const runDir = options.config?.runDir ?? mkdtempSync(join(tmpdir(), 'login-bench-'))
const app =
  options.kind === 'hello'
    ? Fastify({ logger: false }).get('/', async (_request, reply) => reply.send('hello world'))
    : await buildApp(
        loadConfig(
          {},
          {
            runDir,
            logLevel: options.logLevel,
            memcached: options.memcached,
            ...(options.database ? { database: options.database } : {}),
            ...(options.channelRateLimit ? { channelRateLimit: options.channelRateLimit } : {}),
            ...options.config,
          },
        ),
      )

await app.listen({ host: '127.0.0.1', port: options.config?.port ?? 0 })
const address = app.server.address()
const ready: TargetReady = { port: typeof address === 'object' && address ? address.port : 0 }
if (options.kind === 'login') {
  // Signed in through the services a provider's callback ends with: production mode has no `test` provider.
  const { users, sessions, clock, config } = app.ctx
  const profile = { provider: 'github', providerUserId: 'bench', name: 'bench', picture: '' }
  const user = await users.upsertFromProfile(profile, clock.now())
  const { token } = await sessions.start({ user, provider: 'github', ip: '127.0.0.1', userAgent: 'bench' })
  ready.cookie = `${config.cookieName}=${token}`
  if (options.app) {
    // The app's own namespace, which its queries ask about (docs/protocol.md, "Apps are scoped").
    ready.app = await app.ctx.apps.add('bench', null, { namespaces: ['bench'] })
    ready.user = user.id
  }
  if (options.app || options.rules) await app.ctx.groups.tree.ensureNamespace('bench', 'github', 'bench')
  if (options.rules) await addRules(options.rules)
}
/**
 * `count` rules in one import: a quarter on other hosts of the site, a
 * quarter under a wildcard of another domain, half on the bench's host
 * under other paths (prefixes and globs); the one in the middle matches.
 */
async function addRules({ count, host, path }: NonNullable<TargetOptions['rules']>): Promise<void> {
  const middle = Math.floor(count / 2)
  const specs = Array.from({ length: count }, (_, i) => {
    if (i === middle) return { host: host, path: path, allow: 'bench' }
    if (i % 4 === 0) return { host: `app-${i}.example.org`, allow: `group-${i} | bench` }
    if (i % 4 === 1) return { host: `*.zone-${i}.example.net`, deny: true }
    if (i % 4 === 2) return { host: host, path: `/section-${i}`, methods: 'GET,HEAD', public: true }
    return { host: host, path: `/files-${i}/*.php`, deny: true }
  })
  await app.ctx.rules.import(
    specs.map(spec => checkRule(spec)),
    { actor: 'bench' },
  )
}

process.on('message', (message: { type?: string }) => {
  if (message.type !== 'memory') return
  // Twice: what the first collection finalises, the second frees.
  global.gc?.()
  global.gc?.()
  const { heapUsed, rss } = process.memoryUsage()
  process.send!({ type: 'memory', heapUsed, rss } satisfies MemoryReport)
})
process.send!(ready)

exitWithParent(() => app.close(), options.config?.runDir ? undefined : runDir)
