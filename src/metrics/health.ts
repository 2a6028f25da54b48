import type { FastifyInstance } from 'fastify'
import { STATUS_CODES } from 'node:http'
import { errors } from '../errors.js'
import { readiness } from './readiness.js'
import { requestLog } from '../http/logging.js'

/**
 * `GET /login/health`: the process is alive (no dependency is asked, so a
 * slow database never gets a live server restarted). `GET /login/ready`:
 * the database, the cache and the revocation feed are usable
 * (`src/metrics/readiness.ts`): 200, else 503 `LOGIN_ERR_UNAVAILABLE`, for
 * load balancers and `server.sh start`. Anyone may ask, so the answer says
 * only that: which part fails, the engine and the cursors are for the log
 * and the metrics port's `GET /ready` (docs/operating.md, "Operating it").
 */
export async function healthRoutes(app: FastifyInstance): Promise<void> {
  const { ctx } = app
  const json = { config: { html: false } }

  app.get('/health', json, async () => ({ status: 'alive' }))

  app.get('/ready', json, async (request, reply) => {
    const { ready, failing, checks } = await readiness(ctx)
    if (ready) return { status: 'ready' }
    const error = new errors.Unavailable('not ready')
    requestLog(request).warn({ checks }, `not ready: ${failing.join(', ')} not usable`)
    return reply
      .code(503)
      .header('retry-after', '5')
      .send({ statusCode: 503, error: STATUS_CODES[503], message: 'not ready', code: error.code })
  })
}
