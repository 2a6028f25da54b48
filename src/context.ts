import type { Logger } from 'pino'
import { createCache } from './cache/index.js'
import type { Cache } from './cache/cache.js'
import type { Clock } from './clock.js'
import type { Config } from './config.js'
import { AppService } from './apps/apps.js'
import { AccountService } from './auth/accounts.js'
import { AddressService } from './auth/addresses.js'
import { HandleService } from './auth/handles.js'
import { KeyRing, retiredKeySeconds } from './auth/keys.js'
import { LeaseService } from './auth/leases.js'
import { SessionService } from './auth/sessions.js'
import { RevocationFeed } from './revocation-feed.js'
import { loadOrCreateSecret } from './secrets.js'
import { Metrics } from './metrics/metrics.js'
import { cacheAnswers, feedLagSeconds } from './metrics/probes.js'
import type { Database } from './storage/database.js'
import { openDatabase } from './storage/open.js'
import { ServerSecretStore } from './storage/server-secrets.js'
import { SigningKeyStore } from './storage/signing-keys.js'
import { RevocationStore } from './storage/revocations.js'
import { SessionStore } from './storage/sessions.js'
import { UserStore } from './storage/users.js'
import { ProviderRegistry } from './auth/providers/registry.js'
import { validateNext } from './redirects.js'
import { createGroupServices, type GroupServices } from './groups/services.js'
import { MembershipAnswers } from './groups/membership-answers.js'
import { RuleService } from './rules/service.js'
import { AccessRuleStore } from './storage/access-rules.js'
import { createPasskeyServices, type PasskeyServices } from './passkeys/services.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The shared services of this process. */
    ctx: AppContext
  }
}

/** Everything the areas of the server share: built once per process by {@link createContext}. */
export interface AppContext {
  config: Config
  clock: Clock
  log: Logger
  db: Database
  cache: Cache
  keys: KeyRing
  leases: LeaseService
  users: UserStore
  sessions: SessionService
  accounts: AccountService
  /** The handles apps see as `preferred_username`. */
  handles: HandleService
  /** Which vouched address apps see. */
  addresses: AddressService
  revocations: RevocationStore
  feed: RevocationFeed
  /** The sign-in providers this server offers. */
  providers: ProviderRegistry
  /** Membership answers of `/login/check` (`?group=` and access rules), remembered until the feed says they changed. */
  access: MembershipAnswers
  /** The access rules of forward-auth, compiled. */
  rules: RuleService
  /** Access groups: tree, memberships, invitations, removal, audit log. */
  groups: GroupServices
  /** Passkeys: adding, signing in, accounts made with one, and every account's ways to sign in. */
  passkeys: PasskeyServices
  /** Client applications: registration, credentials, removal. */
  apps: AppService
  /** Keys the CSRF form tokens. */
  formSecret: Buffer
  /** Prometheus metrics of this server (`src/metrics/`). */
  metrics: Metrics
  close(): Promise<void>
}

/** Seconds of clock skew between processes tolerated when replaying recent revocations. */
const FEED_REPLAY_MARGIN = 60

/**
 * How often each process reads the revocation log by itself. PostgreSQL
 * notifies every node of changes at once, so its polls only cover lost
 * notifications; the processes sharing one SQLite file have only polls.
 */
const FEED_POLL_MS = { sqlite: 50, postgres: 500 }

/** Without a successful read of the log for this long, leases are checked against the cache or the database again. */
const FEED_STALE_MS = 1000

/** How often expired memberships are looked for, to be pushed to apps. */
const EXPIRY_SWEEP_MS = 1000

export async function createContext(config: Config, clock: Clock, log: Logger): Promise<AppContext> {
  const db = await openDatabase(config)
  try {
    return await assemble(db, config, clock, log)
  } catch (error) {
    await db.close()
    throw error
  }
}

async function assemble(db: Database, config: Config, clock: Clock, log: Logger): Promise<AppContext> {
  const metrics = new Metrics()
  const cache = createCache(config.memcached, log, { onError: () => metrics.cacheErrors.inc() })
  const users = new UserStore(db)
  const revocations = new RevocationStore(db)
  const keys = await KeyRing.open(db, new SigningKeyStore(db), revocations, config.runDir, clock.now())
  const leases = new LeaseService(keys, clock, config.leaseSeconds, retiredKeySeconds(config))
  // A lease verified with a key that is gone must be verified again.
  keys.on('changed', () => leases.forget())
  // Replaying the revocations of the last lease lifetime fills this process's
  // deny-list, so a cache entry left stale by a lost tombstone is never served
  // after a restart either.
  const feed = new RevocationFeed(
    revocations,
    await revocations.cursorBefore(clock.now() - config.leaseSeconds - FEED_REPLAY_MARGIN),
    { pollMs: FEED_POLL_MS[db.engine], staleMs: FEED_STALE_MS },
    error =>
      log.warn(
        { err: error },
        'could not read the revocation log; checking leases against the cache and the database meanwhile',
      ),
  )
  const sessions = new SessionService({
    db,
    config,
    clock,
    cache,
    sessions: new SessionStore(db),
    users,
    revocations,
    feed,
    leases,
    metrics,
    log,
  })
  // `keys rotate` (on any node, or the CLI) goes through the log: every node loads the new keys.
  feed.on('revocation', entry => {
    if (entry.kind === 'keys')
      keys.reload().catch(error => log.error({ err: error }, 'could not reload the signing keys'))
  })
  await feed.poll()
  await feed.start(db)
  const accounts = new AccountService(db, clock, users, sessions)
  const groups = createGroupServices({
    db,
    clock,
    users,
    revocations,
    announce: () => db.afterCommit(() => feed.poll()),
    checkRedirect: raw => validateNext(raw, { site: config.site, allowedHosts: config.allowedRedirectHosts }),
  })
  accounts.onDelete((userId, now) => groups.removal.forgetUser(userId, now))
  const rules = new RuleService({ db, clock, store: new AccessRuleStore(db), revocations, feed, log })
  await rules.reload()
  const passkeys = createPasskeyServices({
    db,
    clock,
    config,
    users,
    invitations: groups.invitations,
    countAcceptance: accept => metrics.invitationAcceptance(accept),
  })
  accounts.onDelete(userId => passkeys.passkeys.removeAllOf(userId))
  const expirySweep = setInterval(() => {
    groups.expiry
      .sweep()
      .catch(error => log.warn({ err: error }, 'could not announce expired memberships; trying again shortly'))
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
    handles: new HandleService(users),
    addresses: new AddressService(users),
    revocations,
    feed,
    providers: new ProviderRegistry(),
    access: new MembershipAnswers(groups.membership, feed, clock),
    rules,
    groups,
    passkeys,
    apps: new AppService({ db, clock, revocations, feed, scope: groups.appScope }),
    formSecret: await loadOrCreateSecret(new ServerSecretStore(db), config.runDir, 'form-secret', clock.now()),
    metrics,
    async close() {
      clearInterval(expirySweep)
      await feed.stop()
      await cache.close()
      await db.close()
    },
  }
}
