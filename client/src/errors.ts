/**
 * The error vocabulary of modular-login, shared by the server and the client
 * library: every failure a person or an application can see carries one of
 * these stable codes, answered with this HTTP status (docs/errors.md, "Errors",
 * says what each means; a test keeps the two in step). Imports
 * nothing, so that either side can use it.
 */
export const LOGIN_ERROR_STATUS = {
  LOGIN_ERR_BAD_REQUEST: 400,
  LOGIN_ERR_BAD_NEXT: 400,
  LOGIN_ERR_OAUTH_STATE: 400,
  LOGIN_ERR_PASSKEY: 400,
  LOGIN_ERR_OIDC_REQUEST: 400,
  LOGIN_ERR_DEVICE_CODE: 400,
  LOGIN_ERR_BAD_EXPRESSION: 400,
  LOGIN_ERR_BAD_RULE: 400,
  LOGIN_ERR_BAD_MESSAGE: 400,
  LOGIN_ERR_PROTOCOL_VERSION: 400,
  LOGIN_ERR_UNAUTHENTICATED: 401,
  LOGIN_ERR_ACCESS_DENIED: 401,
  LOGIN_ERR_APP_AUTH: 401,
  LOGIN_ERR_FORBIDDEN: 403,
  LOGIN_ERR_CSRF: 403,
  LOGIN_ERR_DEBUG_ONLY: 403,
  LOGIN_ERR_INVITATION_LIMIT: 403,
  LOGIN_ERR_NOT_FOUND: 404,
  LOGIN_ERR_UNKNOWN_PROVIDER: 404,
  LOGIN_ERR_CONFLICT: 409,
  LOGIN_ERR_INVITATION_GONE: 410,
  LOGIN_ERR_MESSAGE_TOO_LARGE: 413,
  LOGIN_ERR_RATE_LIMITED: 429,
  LOGIN_ERR_INTERNAL: 500,
  LOGIN_ERR_CONFIG: 500,
  LOGIN_ERR_PROVIDER: 502,
  LOGIN_ERR_UNAVAILABLE: 503,
} as const

/** One of the stable error codes. */
export type LoginErrorCode = keyof typeof LOGIN_ERROR_STATUS

/** Every code, in the table's order. */
export const LOGIN_ERROR_CODES = Object.keys(LOGIN_ERROR_STATUS) as readonly LoginErrorCode[]

/** Whether a value is one of the codes (e.g. the `code` of a reply read off the wire). */
export function isLoginErrorCode(value: unknown): value is LoginErrorCode {
  return typeof value === 'string' && Object.hasOwn(LOGIN_ERROR_STATUS, value)
}
