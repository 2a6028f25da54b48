import type { FastifyInstance } from 'fastify'
import { errors } from '../errors.js'
import { answer, bodyFields } from '../http/form-or-json.js'
import { formOrJson, text } from '../http/schemas.js'
import { addressAppsSee } from './addresses.js'
import { MAX_HANDLE } from './handles.js'
import { requireUser } from '../signed-in/current-user.js'
import { requestLog } from '../http/logging.js'

/**
 * What apps see of the signed-in person besides their name and picture
 * (docs/openid-provider.md, "Claims"), under `/login`:
 *
 *   GET /profile   {handle, addresses, email}: the handle, the vouched addresses, the one apps see
 *   POST /handle   chooses the handle (`handle`)
 *   POST /email    picks the address apps see (`email`, one of `addresses`)
 *
 * The sessions page shows them, with a form for each.
 */
export async function profileRoutes(app: FastifyInstance): Promise<void> {
  const { ctx } = app

  app.get('/profile', async (request, reply) => {
    const { user } = await requireUser(request, reply)
    const contact = await ctx.users.contact(user.id)
    if (!contact) throw new errors.Unauthenticated()
    return { handle: contact.handle, addresses: contact.addresses, email: addressAppsSee(contact) }
  })

  app.post('/handle', { schema: { body: formOrJson({ handle: text(MAX_HANDLE * 4) }) } }, async (request, reply) => {
    const { user } = await requireUser(request, reply)
    const handle = bodyFields(request).handle
    if (typeof handle !== 'string') throw new errors.BadRequest('handle is required')
    const chosen = await ctx.handles.choose(user.id, handle.trim())
    requestLog(request).info({ user: user.id }, 'handle chosen')
    return answer(request, reply, { handle: chosen }, () => ({
      to: '/login/view/sessions',
      notice: `Your handle is now ${chosen}.`,
    }))
  })

  app.post('/email', { schema: { body: formOrJson({ email: text(320) }) } }, async (request, reply) => {
    const { user } = await requireUser(request, reply)
    const email = bodyFields(request).email
    if (typeof email !== 'string') throw new errors.BadRequest('email is required')
    await ctx.addresses.pick(user.id, email)
    return answer(request, reply, { email }, () => ({
      to: '/login/view/sessions',
      notice: `Apps now see ${email}.`,
    }))
  })
}
