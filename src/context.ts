import type { FastifyBaseLogger } from 'fastify'
import { createCache } from './cache/index.js'
import type { Cache } from './cache/cache.js'
import type { Clock } from './clock.js'
import type { Config } from './config.js'
import { AccountService } from './auth/accounts.js'
import { KeyRing, retiredKeySeconds } from './auth/keys.js'
import { LeaseService } from './auth/leases.js'
import { SessionService } from './auth/sessions.js'
import { RevocationFeed } from './revocation-feed.js'
import { loadOrCreateSecret } from './secrets.js'
import { Metrics } from './metrics/metrics.js'
import { cacheAnswers, feedLagSeconds } from './metrics/probes.js'
import { openDatabase, type Db } from './storage/db.js'
import { RevocationStore } from './storage/revocations.js'
import { SessionStore } from './storage/sessions.js'
import { UserStore } from './storage/users.js'
import { join } from 'node:path'
import { ProviderRegistry } from './auth/providers/registry.js'
// Access groups (issue #4)
import { validateNext } from './auth/redirects.js'
import { createGroupServices, type GroupServices } from './groups/services.js'

/** Everything the areas of the server share: built once per process by {@link createContext}. */
export interface AppContext {
  config: Config
  clock: Clock
  log: FastifyBaseLogger
  db: Db
  cache: Cache
  keys: KeyRing
  leases: LeaseService
  users: UserStore
  sessions: SessionService
  accounts: AccountService
  revocations: RevocationStore
  feed: RevocationFeed
  /** The sign-in providers this server offers. */
  providers: ProviderRegistry
  /** Answers group expressions for `/login/check?group=`. */
  access: AccessChecker
  /** Access groups: tree, memberships, invitations, removal, audit log (issue #4). */
  groups: GroupServices
  /** Keys the CSRF form tokens. */
  formSecret: Buffer
  /** Prometheus metrics of this server (`src/metrics/`). */
  metrics: Metrics
  close(): Promise<void>
}

/** Decides whether a user holds a group expression (text form). */
export interface AccessChecker {
  holds(userId: string, expression: string): boolean | Promise<boolean>
}

/** Seconds of clock skew between processes tolerated when replaying recent revocations. */
const FEED_REPLAY_MARGIN = 60

/** How often each process reads revocations written by the others. */
const FEED_INTERVAL_MS = 200

/** How often expired memberships are looked for, to be pushed to apps. */
const EXPIRY_SWEEP_MS = 1000

/** The SQLite file a server with this configuration uses (created on first start). */
export function databaseFile(config: Config): string {
  return join(config.runDir, 'login.sqlite')
}

export async function createContext(config: Config, clock: Clock, log: FastifyBaseLogger): Promise<AppContext> {
  const db = openDatabase(databaseFile(config))
  const metrics = new Metrics()
  const cache = createCache(config.memcached, log, { onError: () => metrics.cacheErrors.inc() })
  const keys = await KeyRing.open(config.runDir, clock.now())
  const leases = new LeaseService(keys, clock, config.leaseSeconds, retiredKeySeconds(config))
  const users = new UserStore(db)
  const revocations = new RevocationStore(db)
  // Replaying the revocations of the last lease lifetime fills this process's
  // deny-list, so a cache entry left stale by a lost tombstone is never served
  // after a restart either.
  const feed = new RevocationFeed(
    revocations,
    revocations.cursorBefore(clock.now() - config.leaseSeconds - FEED_REPLAY_MARGIN),
  )
  const sessions = new SessionService(
    db,
    config,
    clock,
    cache,
    new SessionStore(db),
    users,
    revocations,
    feed,
    leases,
    metrics,
  )
  feed.poll()
  const accounts = new AccountService(db, clock, users, sessions)
  feed.start(FEED_INTERVAL_MS)
  // Access groups (issue #4)
  const groups = createGroupServices({
    db,
    clock,
    users,
    revocations,
    announce: () => feed.poll(),
    checkRedirect: raw => validateNext(raw, { site: config.site, allowedHosts: config.allowedRedirectHosts }),
  })
  accounts.onDelete((userId, now) => groups.removal.forgetUser(userId, now))
  const expirySweep = setInterval(() => {
    try {
      groups.expiry.sweep()
    } catch (error) {
      log.warn({ err: error }, 'could not announce expired memberships; trying again shortly')
    }
  }, EXPIRY_SWEEP_MS).unref()
  metrics.watch({
    cacheUp: () => cacheAnswers(cache),
    feedLagSeconds: () => feedLagSeconds(revocations, feed, clock.now()),
  })
  return {
    config,
    clock,
    log,
    db,
    cache,
    keys,
    leases,
    users,
    sessions,
    accounts,
    revocations,
    feed,
    providers: new ProviderRegistry(),
    access: groups.membership,
    groups,
    formSecret: loadOrCreateSecret(config.runDir, 'form-secret'),
    metrics,
    async close() {
      clearInterval(expirySweep)
      feed.stop()
      await cache.close()
      db.close()
    },
  }
}
