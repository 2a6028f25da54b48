import type { Cache } from '../cache/cache.js'
import type { Clock } from '../clock.js'
import type { RevocationFeed } from '../revocation-feed.js'
import type { Database } from '../storage/database.js'
import type { RevocationStore } from '../storage/revocations.js'
import { cacheAnswers, feedLagSeconds } from './probes.js'
import type { Answer } from './server.js'

/** The revocation feed reads the log every 200 ms; this far behind, revocations are not being applied. */
const FEED_LAG_LIMIT_SECONDS = 10

/**
 * How long one probe may take: a database that hangs makes the probe fail,
 * never the answer wait (load balancers give up on a readiness check after
 * a few seconds, and `/login/ready` must answer within 2 s whatever the
 * database does).
 */
const PROBE_MS = 1500

/** One part's state, with what tells an operator why. */
export interface Check {
  ok: boolean
  [detail: string]: unknown
}

/** The parts of a server process that readiness looks at. */
export interface ReadinessParts {
  db: Pick<Database, 'engine'>
  revocations: RevocationStore
  cache: Cache
  config: { memcached: readonly string[] }
  feed: RevocationFeed
  clock: Clock
}

/** Whether this process can serve, and the state of each part it needs. */
export interface Readiness {
  ready: boolean
  /** The names of the checks that failed. */
  failing: string[]
  checks: Record<string, Check>
}

/**
 * The database can be read, the cache answers a write and a read, and the
 * revocation feed is less than {@link FEED_LAG_LIMIT_SECONDS} behind the
 * log. The probes run at once, each within {@link PROBE_MS}.
 */
export async function readiness(ctx: ReadinessParts): Promise<Readiness> {
  const [database, cache, feed] = await Promise.all([
    attempt(async () => ({ ok: true, engine: ctx.db.engine, revocationCursor: await ctx.revocations.head() })),
    attempt(async () => ({
      ok: await cacheAnswers(ctx.cache),
      kind: ctx.config.memcached.length > 0 ? 'memcached' : 'in-process',
    })),
    attempt(async () => {
      const lagSeconds = await feedLagSeconds(ctx.revocations, ctx.feed, ctx.clock.now())
      return { ok: lagSeconds <= FEED_LAG_LIMIT_SECONDS, cursor: ctx.feed.position, lagSeconds }
    }),
  ])
  const checks: Record<string, Check> = { database, cache, feed }
  const failing = Object.keys(checks).filter(name => !checks[name]!.ok)
  return { ready: failing.length === 0, failing, checks }
}

/** A check that fails when its probe throws (a database that cannot be read) or takes too long, with the reason. */
async function attempt(probe: () => Promise<Check>): Promise<Check> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<Check>(resolve => {
    timer = setTimeout(() => resolve({ ok: false, error: `no answer within ${PROBE_MS} ms` }), PROBE_MS)
  })
  try {
    return await Promise.race([probe(), late])
  } catch (error) {
    return { ok: false, error: (error as Error).message }
  } finally {
    clearTimeout(timer)
  }
}

/** The metrics port's `GET /ready` for one process: the details, 200 when ready, else 503. */
export function readinessAnswer({ ready, failing, checks }: Readiness): Answer {
  return json(ready, { status: ready ? 'ready' : 'not ready', failing, checks })
}

/** A JSON answer of the metrics port, 200 when `ready`, else 503. */
export function json(ready: boolean, body: unknown): Answer {
  return { status: ready ? 200 : 503, contentType: 'application/json; charset=utf-8', body: JSON.stringify(body) }
}
