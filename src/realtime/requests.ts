import type { RequestId, RequestOf, RequestType } from 'modular-login-client/protocol'
import { errors } from '../errors.js'
import { parseExpression } from '../groups/expressions.js'
import { MAX_COUNT, MAX_TIME, optionalInteger, deauthorizesLevel } from '../field-checks.js'

/** A message as read off the wire: a JSON object with a string `type`. */
export type Json = Record<string, unknown>

/**
 * One validator per request type (docs/protocol.md, "Requests and replies"): each
 * turns a message read off the wire into its typed request, or throws
 * `LOGIN_ERR_BAD_MESSAGE` (or the code its field's own check uses) naming
 * the field. `id` is the request id already read from the message.
 */
export type RequestValidators = { [K in RequestType]: (message: Json, id: RequestId | undefined) => RequestOf<K> }

/** Whether `type` names a request an app may send once authenticated. */
export function isRequestType(type: string): type is RequestType {
  return Object.hasOwn(validators, type)
}

/** The request's `id`, or undefined when it has none; throws when it has one of the wrong kind. */
export function readId(message: Json): RequestId | undefined {
  const id = message.id
  if (id === undefined) return undefined
  if (
    (typeof id === 'string' && id.length > 0 && id.length <= 128) ||
    (typeof id === 'number' && Number.isSafeInteger(id))
  )
    return id
  throw new errors.BadMessage('a request id is a string of 1 to 128 characters or an integer')
}

function required(id: RequestId | undefined): RequestId {
  if (id === undefined)
    throw new errors.BadMessage('a request needs an id: a string of 1 to 128 characters or an integer')
  return id
}

function text(value: unknown, field: string, max = 256): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw new errors.BadMessage(`${field} must be a string of 1 to ${max} characters`)
  }
  return value
}

export const validators: RequestValidators = {
  refresh: (message, id) => ({
    type: 'refresh',
    id: required(id),
    token: text(message.token, 'token', 8192),
    // Only for the server's log.
    ...(typeof message.ip === 'string' ? { ip: message.ip.slice(0, 64) } : {}),
  }),
  query: (message, id) => {
    const request = { id: required(id), user: text(message.user, 'user', 128) }
    if (message.group === undefined) throw new errors.BadMessage('group is required')
    return { type: 'query', ...request, group: parseExpression(message.group) }
  },
  ensure: (message, id) => ({
    type: 'ensure',
    id: required(id),
    path: text(message.path, 'path', 512),
    owner: text(message.owner, 'owner', 300),
  }),
  grant: (message, id) => ({
    type: 'grant',
    id: required(id),
    user: text(message.user, 'user', 128),
    path: text(message.path, 'path', 512),
    // The same checks, with the same messages, as the membership service's own and its HTTP routes'.
    ...(message.until === undefined ? {} : { until: optionalInteger(message.until, 'until', 0, MAX_TIME) }),
    ...(message.spots === undefined ? {} : { spots: optionalInteger(message.spots, 'spots', 0, MAX_COUNT) }),
    ...(message.deauthorizes === undefined
      ? {}
      : { deauthorizes: deauthorizesLevel(message.deauthorizes, 'deauthorizes') }),
    ...(message.dos === undefined ? {} : { dos: optionalInteger(message.dos, 'dos', 1, MAX_COUNT) }),
  }),
  remove: (message, id) => {
    const request = { id: required(id), membership: text(message.membership, 'membership', 128) }
    if (message.cascade !== undefined && typeof message.cascade !== 'boolean')
      throw new errors.BadMessage('cascade must be true or false')
    return { type: 'remove', ...request, cascade: message.cascade === true }
  },
  ping: (_message, id) => ({ type: 'ping', ...(id === undefined ? {} : { id }) }),
}
