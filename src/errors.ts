import createError from '@fastify/error'

/**
 * The one table of error codes. Every failure a user or an application can
 * see carries one of these stable codes; tests assert the code, not only the
 * status. Messages take one `%s` argument that says what exactly was wrong.
 */
export const errors = {
  /** A request field is missing or malformed. */
  BadRequest: createError('LOGIN_ERR_BAD_REQUEST', '%s', 400),
  /** `?next=` (or an invitation `redirect`) points somewhere it may not. */
  BadNext: createError('LOGIN_ERR_BAD_NEXT', 'Invalid next URL: %s', 400),
  /** No valid session accompanies the request. */
  Unauthenticated: createError('LOGIN_ERR_UNAUTHENTICATED', 'Sign in required', 401),
  /** Signed in, but not allowed to do this. */
  Forbidden: createError('LOGIN_ERR_FORBIDDEN', '%s', 403),
  /** A state-changing request came from another site or without its form token. */
  Csrf: createError('LOGIN_ERR_CSRF', 'Cross-site request refused: %s', 403),
  /** A debug-only endpoint (the `test` provider) was called on a production server. */
  DebugOnly: createError('LOGIN_ERR_DEBUG_ONLY', 'Only available when the server runs in debug mode', 403),
  /** The thing named does not exist, or is not the caller's to see. */
  NotFound: createError('LOGIN_ERR_NOT_FOUND', '%s', 404),
  /** The request conflicts with the current state (already a member, ...). */
  Conflict: createError('LOGIN_ERR_CONFLICT', '%s', 409),
  /** Too many requests from one client. */
  RateLimited: createError('LOGIN_ERR_RATE_LIMITED', 'Too many requests, retry in %s', 429),
  /** An OAuth provider refused, failed or answered something unusable. */
  Provider: createError('LOGIN_ERR_PROVIDER', 'Sign-in with the provider failed: %s', 502),
  /** The OAuth flow's state is missing, replayed or forged. */
  OAuthState: createError('LOGIN_ERR_OAUTH_STATE', 'Sign-in flow could not be verified: %s', 400),
  /** The user declined at the provider. */
  AccessDenied: createError('LOGIN_ERR_ACCESS_DENIED', 'Sign-in was cancelled at the provider: %s', 401),
  /** The provider named is not configured here. */
  UnknownProvider: createError('LOGIN_ERR_UNKNOWN_PROVIDER', 'Unknown sign-in provider: %s', 404),
  /** A group expression could not be parsed. */
  BadExpression: createError('LOGIN_ERR_BAD_EXPRESSION', 'Invalid group expression: %s', 400),
  /** An invitation limit rule was broken at creation or acceptance. */
  InvitationLimit: createError('LOGIN_ERR_INVITATION_LIMIT', '%s', 403),
  /** The invitation has expired, was cancelled or is used up. */
  InvitationGone: createError('LOGIN_ERR_INVITATION_GONE', '%s', 410),
  /** A client application's credentials are missing or wrong (realtime channel, issue #5). */
  AppAuth: createError('LOGIN_ERR_APP_AUTH', 'Application authentication failed: %s', 401),
  /** A realtime message is not JSON, not an object, or lacks a field it needs. */
  BadMessage: createError('LOGIN_ERR_BAD_MESSAGE', 'Invalid message: %s', 400),
  /** A realtime message is larger than the channel accepts. */
  MessageTooLarge: createError('LOGIN_ERR_MESSAGE_TOO_LARGE', 'Message too large: %s', 413),
  /** The realtime protocol version asked for is not spoken here. */
  ProtocolVersion: createError('LOGIN_ERR_PROTOCOL_VERSION', 'Unsupported protocol version: %s', 400),
  /** The login server cannot be reached and the answer is not known locally (client library). */
  Unavailable: createError('LOGIN_ERR_UNAVAILABLE', 'Login server unavailable: %s', 503),
  /** The OpenID Provider refused a request it cannot answer to the client (README, "OpenID Provider"). */
  OidcRequest: createError('LOGIN_ERR_OIDC_REQUEST', 'OpenID Connect request refused: %s', 400),
  /** A setting is invalid; the server does not start. */
  Config: createError('LOGIN_ERR_CONFIG', 'Invalid configuration: %s', 500),
  /** Anything unexpected: logged with its stack, shown without it. */
  Internal: createError('LOGIN_ERR_INTERNAL', 'Internal error', 500),
} as const

export type LoginError = InstanceType<(typeof errors)[keyof typeof errors]>

/** True for errors raised from this table (as opposed to unexpected ones). */
export function isLoginError(error: unknown): error is LoginError {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { code?: unknown }).code === 'string' &&
    (error as { code: string }).code.startsWith('LOGIN_ERR_')
  )
}
