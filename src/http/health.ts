import type { FastifyInstance } from 'fastify'
import { STATUS_CODES } from 'node:http'
import { errors } from '../errors.js'
import { cacheAnswers, feedLagSeconds } from '../metrics/probes.js'

/** The revocation feed reads the log every 200 ms; this far behind, revocations are not being applied. */
const FEED_LAG_LIMIT_SECONDS = 10

interface Check {
  ok: boolean
  [detail: string]: unknown
}

/**
 * `GET /login/health`: the process is alive (no dependency is asked, so a
 * slow database never gets a live server restarted). `GET /login/ready`:
 * the database, the cache and the revocation feed are usable, 200 with the
 * details, else 503 `LOGIN_ERR_UNAVAILABLE` with the same details, for load
 * balancers and `server.sh start`.
 */
export async function healthRoutes(app: FastifyInstance): Promise<void> {
  const { ctx } = app
  const json = { config: { html: false } }

  app.get('/health', json, async () => ({ status: 'alive' }))

  app.get('/ready', json, async (request, reply) => {
    const checks: Record<string, Check> = {
      database: await attempt(async () => ({
        ok: true,
        engine: ctx.db.engine,
        revocationCursor: await ctx.revocations.head(),
      })),
      cache: { ok: await cacheAnswers(ctx.cache), kind: ctx.config.memcached.length > 0 ? 'memcached' : 'in-process' },
      feed: await attempt(async () => {
        const lagSeconds = await feedLagSeconds(ctx.revocations, ctx.feed, ctx.clock.now())
        return { ok: lagSeconds <= FEED_LAG_LIMIT_SECONDS, cursor: ctx.feed.position, lagSeconds }
      }),
    }
    const failing = Object.keys(checks).filter(name => !checks[name]!.ok)
    if (failing.length === 0) return { status: 'ready', checks }
    const error = new errors.Unavailable(`not ready: ${failing.join(', ')} not usable`)
    request.log.warn({ checks }, error.message)
    return reply
      .code(503)
      .header('retry-after', '5')
      .send({ statusCode: 503, error: STATUS_CODES[503], message: error.message, code: error.code, checks })
  })
}

/** A check that fails when its probe throws (a database that cannot be read), with the reason. */
async function attempt(probe: () => Promise<Check>): Promise<Check> {
  try {
    return await probe()
  } catch (error) {
    return { ok: false, error: (error as Error).message }
  }
}
