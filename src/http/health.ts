import type { FastifyInstance } from 'fastify'
import { STATUS_CODES } from 'node:http'
import { errors } from '../errors.js'
import { readiness } from '../metrics/readiness.js'

/**
 * `GET /login/health`: the process is alive (no dependency is asked, so a
 * slow database never gets a live server restarted). `GET /login/ready`:
 * the database, the cache and the revocation feed are usable
 * (`src/metrics/readiness.ts`), 200 with the details, else 503
 * `LOGIN_ERR_UNAVAILABLE` with the same details, for load balancers and
 * `server.sh start`.
 */
export async function healthRoutes(app: FastifyInstance): Promise<void> {
  const { ctx } = app
  const json = { config: { html: false } }

  app.get('/health', json, async () => ({ status: 'alive' }))

  app.get('/ready', json, async (request, reply) => {
    const { ready, failing, checks } = await readiness(ctx)
    if (ready) return { status: 'ready', checks }
    const error = new errors.Unavailable(`not ready: ${failing.join(', ')} not usable`)
    request.log.warn({ checks }, error.message)
    return reply
      .code(503)
      .header('retry-after', '5')
      .send({ statusCode: 503, error: STATUS_CODES[503], message: error.message, code: error.code, checks })
  })
}
