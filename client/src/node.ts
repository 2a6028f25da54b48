import type { IncomingMessage, ServerResponse } from 'node:http'
import type { TLSSocket } from 'node:tls'
import { serializeCookie } from './cookies.js'
import { errorAnswer } from './denial.js'
import type { LoginCore } from './core.js'
import type { GroupExpression } from './protocol.js'
import type { LoginUser } from './types.js'

/** A `node:http` (or Express) request once the middleware has run. */
export interface LoginRequest extends IncomingMessage {
  /** The signed-in user, or null (signed out, with `required: false`). */
  user?: LoginUser | null
  /** Route parameters, when the framework provides them (Express). */
  params?: Record<string, string>
}

/** Options of `login.middleware()`. */
export interface MiddlewareOptions {
  /**
   * Sign-in required (default true): signed-out GET/HEAD are redirected, other
   * methods get 401. False lets them through with `req.user = null`.
   */
  required?: boolean
  /** A group the user must be a member of, or a function of the request (with `req.user` set) that builds one. */
  group?: GroupExpression | ((request: LoginRequest & { user: LoginUser }) => GroupExpression | null | undefined)
  /** Take the client IP, scheme and host from `X-Forwarded-*` (set it only behind a proxy you run). Default false. */
  trustProxy?: boolean
}

/**
 * Connect-style middleware `(req, res, next?)`. Calls `next()` when the
 * request may proceed (with `req.user` set) and answers it otherwise. It
 * also resolves to whether the request may proceed, so that a plain
 * `node:http` handler can `if (!(await guard(req, res))) return`.
 */
export type LoginMiddleware = (
  request: IncomingMessage,
  response: ServerResponse,
  next?: (error?: unknown) => void,
) => Promise<boolean>

function first(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header
  return value?.split(',')[0]?.trim() || undefined
}

/** The request's absolute URL, for the `next` of a sign-in redirect. */
function absoluteUrl(request: IncomingMessage, trustProxy: boolean): string {
  const encrypted = Boolean((request.socket as TLSSocket).encrypted)
  const proto = (trustProxy && first(request.headers['x-forwarded-proto'])) || (encrypted ? 'https' : 'http')
  const host = (trustProxy && first(request.headers['x-forwarded-host'])) || request.headers.host || 'localhost'
  const path = (request as { originalUrl?: string }).originalUrl ?? request.url ?? '/'
  return `${proto}://${host}${path}`
}

/** The middleware over the core: reads the raw headers, writes cookies and denials. */
export function nodeMiddleware(core: LoginCore, options: MiddlewareOptions = {}): LoginMiddleware {
  const required = options.required !== false
  const trustProxy = options.trustProxy === true
  const { group } = options
  return async function login(req, res, next) {
    const request = req as LoginRequest
    try {
      const result = await core.authenticate({
        cookie: request.headers.cookie,
        ip: (trustProxy && first(request.headers['x-forwarded-for'])) || request.socket.remoteAddress,
        group:
          typeof group === 'function'
            ? user => {
                request.user = user
                return group(request as LoginRequest & { user: LoginUser })
              }
            : group,
      })
      for (const cookie of result.cookies) res.appendHeader('set-cookie', serializeCookie(cookie))
      request.user = result.status === 'ok' ? result.user : null
      const proceed =
        result.status === 'ok' ||
        (!required && (result.status === 'unauthenticated' || (result.status === 'unavailable' && group === undefined)))
      if (proceed) {
        next?.()
        return true
      }
      const denial = core.denial(result, { method: request.method, url: absoluteUrl(request, trustProxy) })!
      res.writeHead(denial.statusCode, denial.headers).end(denial.body)
      return false
    } catch (error) {
      if (next) next(error)
      else if (!res.headersSent) {
        const failed = errorAnswer('LOGIN_ERR_INTERNAL', 'Internal error')
        res.writeHead(failed.statusCode, failed.headers).end(failed.body)
      }
      return false
    }
  }
}
