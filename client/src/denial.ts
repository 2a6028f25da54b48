import { STATUS_CODES } from 'node:http'
import { LOGIN_ERROR_STATUS, type LoginErrorCode } from './errors.js'
import type { AuthResult, Denial } from './types.js'

/** A JSON error answer shaped like the login server's own: `{statusCode, error, message, code}`. */
export function errorAnswer(code: LoginErrorCode, message: string, headers: Record<string, string> = {}): Denial {
  const statusCode = LOGIN_ERROR_STATUS[code]
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify({ statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message, code }),
  }
}

/**
 * The HTTP answer for a result that may not proceed (docs/client-library.md,
 * "The Node client library"), or null for `ok`. Signed-out GET/HEAD requests are
 * redirected to `loginUrl` (the sign-in page, coming back to this request);
 * other methods get 401.
 */
export function denialFor(result: AuthResult, method: string | undefined, loginUrl: () => string): Denial | null {
  switch (result.status) {
    case 'ok':
      return null
    case 'unauthenticated':
      if (method === 'GET' || method === 'HEAD')
        return { statusCode: 302, headers: { location: loginUrl(), 'cache-control': 'no-store' }, body: '' }
      return errorAnswer('LOGIN_ERR_UNAUTHENTICATED', 'Sign in required')
    case 'forbidden':
      return errorAnswer('LOGIN_ERR_FORBIDDEN', 'Not a member of the required group')
    case 'bad-request':
      return errorAnswer('LOGIN_ERR_BAD_EXPRESSION', result.reason)
    case 'unavailable':
      return errorAnswer('LOGIN_ERR_UNAVAILABLE', 'The login server cannot be reached; try again shortly', {
        'retry-after': '5',
      })
  }
}
