import createError from '@fastify/error'
import { isLoginErrorCode, LOGIN_ERROR_STATUS, type LoginErrorCode } from 'modular-login-client/errors'

/** An error class for one code of the shared vocabulary, with its status from there. */
function define<C extends LoginErrorCode>(code: C, message: string) {
  return createError(code, message, LOGIN_ERROR_STATUS[code])
}

/**
 * The server's errors, each with a code of the shared vocabulary
 * (`modular-login-client/errors`, listed in docs/errors.md, "Errors")
 * that the server raises; tests assert the code, not only the status.
 * Messages take one `%s` argument that says what exactly was wrong.
 */
export const errors = {
  /** A request field is missing or malformed. */
  BadRequest: define('LOGIN_ERR_BAD_REQUEST', '%s'),
  /** `?next=` (or an invitation `redirect`) points somewhere it may not. */
  BadNext: define('LOGIN_ERR_BAD_NEXT', 'Invalid next URL: %s'),
  /** No valid session accompanies the request. */
  Unauthenticated: define('LOGIN_ERR_UNAUTHENTICATED', 'Sign in required'),
  /** Signed in, but not allowed to do this. */
  Forbidden: define('LOGIN_ERR_FORBIDDEN', '%s'),
  /** A state-changing request came from another site or without its form token. */
  Csrf: define('LOGIN_ERR_CSRF', 'Cross-site request refused: %s'),
  /** A debug-only endpoint (the `test` provider) was called on a production server. */
  DebugOnly: define('LOGIN_ERR_DEBUG_ONLY', 'Only available when the server runs in debug mode'),
  /** The thing named does not exist, or is not the caller's to see. */
  NotFound: define('LOGIN_ERR_NOT_FOUND', '%s'),
  /** The request conflicts with the current state (already a member, ...). */
  Conflict: define('LOGIN_ERR_CONFLICT', '%s'),
  /** Too many requests from one client. */
  RateLimited: define('LOGIN_ERR_RATE_LIMITED', 'Too many requests, retry in %s'),
  /** An app opened more realtime connections than it may: the same code, said of connections. */
  TooManyConnections: define('LOGIN_ERR_RATE_LIMITED', 'Too many connections: %s'),
  /** An OAuth provider refused, failed or answered something unusable. */
  Provider: define('LOGIN_ERR_PROVIDER', 'Sign-in with the provider failed: %s'),
  /** The OAuth flow's state is missing, replayed or forged. */
  OAuthState: define('LOGIN_ERR_OAUTH_STATE', 'Sign-in flow could not be verified: %s'),
  /** A passkey step failed: its challenge is unknown, used, expired or another browser's, or the browser's answer does not verify. */
  Passkey: define('LOGIN_ERR_PASSKEY', 'Passkey refused: %s'),
  /** The user declined at the provider. */
  AccessDenied: define('LOGIN_ERR_ACCESS_DENIED', 'Sign-in was cancelled at the provider: %s'),
  /** The provider named is not configured here. */
  UnknownProvider: define('LOGIN_ERR_UNKNOWN_PROVIDER', 'Unknown sign-in provider: %s'),
  /** A group expression could not be parsed. */
  BadExpression: define('LOGIN_ERR_BAD_EXPRESSION', 'Invalid group expression: %s'),
  /** An access rule (`rule add`, `rule import`) is malformed: the message names the field. */
  BadRule: define('LOGIN_ERR_BAD_RULE', 'Invalid access rule: %s'),
  /** An invitation limit rule was broken at creation or acceptance. */
  InvitationLimit: define('LOGIN_ERR_INVITATION_LIMIT', '%s'),
  /** The invitation has expired, was cancelled or is used up. */
  InvitationGone: define('LOGIN_ERR_INVITATION_GONE', '%s'),
  /** A client application's credentials are missing or wrong, or the app was removed (realtime channel). */
  AppAuth: define('LOGIN_ERR_APP_AUTH', 'Application authentication failed: %s'),
  /** A realtime message is not JSON, not an object, or lacks a field it needs. */
  BadMessage: define('LOGIN_ERR_BAD_MESSAGE', 'Invalid message: %s'),
  /** A realtime message is larger than the channel accepts. */
  MessageTooLarge: define('LOGIN_ERR_MESSAGE_TOO_LARGE', 'Message too large: %s'),
  /** The realtime protocol version asked for is not spoken here. */
  ProtocolVersion: define('LOGIN_ERR_PROTOCOL_VERSION', 'Unsupported protocol version: %s'),
  /** A part the answer needs (the database, the cache) cannot be reached: nothing was changed; retry shortly. */
  Unavailable: define('LOGIN_ERR_UNAVAILABLE', 'Service unavailable: %s'),
  /** The OpenID Provider refused a request it cannot answer to the client (docs/openid-provider.md, "OpenID Provider"). */
  OidcRequest: define('LOGIN_ERR_OIDC_REQUEST', 'OpenID Connect request refused: %s'),
  /** A device sign-in's user code is wrong, expired or already used (docs/openid-provider.md, "Device sign-in"). */
  DeviceCode: define('LOGIN_ERR_DEVICE_CODE', '%s'),
  /** A setting is invalid; the server does not start. */
  Config: define('LOGIN_ERR_CONFIG', 'Invalid configuration: %s'),
  /** Anything unexpected: logged with its stack, shown without it. */
  Internal: define('LOGIN_ERR_INTERNAL', 'Internal error'),
} as const

export type LoginError = InstanceType<(typeof errors)[keyof typeof errors]>

/** True for errors raised from this table (as opposed to unexpected ones). */
export function isLoginError(error: unknown): error is LoginError {
  return typeof error === 'object' && error !== null && isLoginErrorCode((error as { code?: unknown }).code)
}
