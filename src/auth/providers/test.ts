import type { FastifyInstance } from 'fastify'
import { errors } from '../../errors.js'
import { fields, nextQuery, readByItsOwner, text } from '../../http/schemas.js'
import { renderPage } from '../../http/views.js'
import { nextOf } from '../../http/next-query.js'
import { completeSignIn, signInRateLimit } from '../sign-in.js'

const NAME = /^[^\p{C}]{1,64}$/u

/**
 * The `test` provider: sign in as any name typed into a form. Only in debug
 * mode; a production server answers 403 so that nobody mistakes it for a
 * missing route.
 */
export async function testProvider(app: FastifyInstance): Promise<void> {
  const { config } = app.ctx
  if (config.debug) app.ctx.providers.add({ id: 'test', label: 'Test account', path: '/login/test' })

  app.addHook('onRequest', async () => {
    if (!config.debug) throw new errors.DebugOnly()
  })

  app.get<{ Querystring: { next?: string } }>(
    '/',
    { config: { html: true }, schema: { querystring: nextQuery } },
    async (request, reply) =>
      renderPage(request, reply, 'test-login', { title: 'Test sign-in', next: nextOf(request) }),
  )

  app.get<{ Querystring: { who?: string; next?: string } }>(
    '/as',
    {
      config: { html: true, ...signInRateLimit(config) },
      schema: { querystring: fields({ who: text(256), next: readByItsOwner }) },
    },
    async (request, reply) => {
      const next = nextOf(request)
      const who = (request.query.who ?? '').trim()
      if (!NAME.test(who)) throw new errors.BadRequest('who must be 1 to 64 printable characters')
      return completeSignIn(request, reply, { provider: 'test', providerUserId: who, name: who, picture: '' }, next)
    },
  )
}
