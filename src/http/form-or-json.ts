import type { FastifyReply, FastifyRequest } from 'fastify'
import { idList } from '../field-checks.js'
import { notify } from './notice.js'

/**
 * Every state-changing endpoint serves two callers (docs/getting-started.md, "Pages"): a
 * browser form, which goes back to a page with a notice, and an API call,
 * which gets JSON. These read a request either way and answer the caller.
 */

/** Whether the request is a browser form post (rather than an API call). */
export function isFormPost(request: FastifyRequest): boolean {
  return (request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')
}

/** The body's fields, from a form or a JSON object; none for any other body. */
export function bodyFields(request: FastifyRequest): Record<string, unknown> {
  const value = request.body
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {}
}

/**
 * Ids to act on: a bare JSON array, or `{<key>: [...]}` (a form sends one
 * checkbox value as a string, several as an array).
 */
export function idsOf(request: FastifyRequest, key: string): string[] {
  if (Array.isArray(request.body)) return idList(request.body, key)
  const value = bodyFields(request)[key]
  return idList(typeof value === 'string' ? [value] : value, key)
}

/** Where a form post goes back to, and what the page then says happened. */
export interface FormAnswer {
  to: string
  notice?: string | null
}

/**
 * Answers a state change: a form post is sent back (303) to a page that
 * shows the notice; an API call gets `json`. `form` is a function so that
 * what only the page needs is worked out only for a form post.
 */
export function answer<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  json: T,
  form: () => FormAnswer,
): T | FastifyReply {
  if (!isFormPost(request)) return json
  const { to, notice } = form()
  if (notice) notify(request, reply, notice)
  return reply.redirect(to, 303)
}
