/**
 * The realtime protocol spoken on `GET /login/ws` (specified in docs/protocol.md,
 * "The wire protocol"): JSON text messages with a `type`. Shared by the
 * server and the client library, so this module imports nothing but the
 * error vocabulary, which imports nothing either.
 */
import type { LoginErrorCode } from './errors.js'

/**
 * The protocol version this package speaks; `hello.version` and
 * `welcome.version` carry it, the upgrade response says it in `X-Login-Protocol`.
 */
export const PROTOCOL_VERSION = 1

/** Path of the channel on the login server. */
export const CHANNEL_PATH = '/login/ws'

/** Messages larger than this are answered with `LOGIN_ERR_MESSAGE_TOO_LARGE`; the connection stays open. */
export const MAX_MESSAGE_BYTES = 64 * 1024

/** Frames larger than this close the connection (1009): the server will not buffer more. */
export const MAX_FRAME_BYTES = 1024 * 1024

/** Processes' clocks and the app's may disagree a little: replays and deny-lists reach this much further back. */
export const CLOCK_SKEW_SECONDS = 60

/** Close codes the server uses (RFC 6455 leaves 4000–4999 to applications). */
export const CloseCode = {
  /** Server shutting down: reconnect. */
  GoingAway: 1001,
  /** A frame above {@link MAX_FRAME_BYTES}. */
  TooBig: 1009,
  /** The first message was not a valid `hello`. */
  BadHello: 4000,
  /** Wrong app id or secret: do not retry with the same credentials. */
  Unauthorized: 4001,
  /** No `hello` within the deadline. */
  HelloTimeout: 4002,
  /** The app was removed (`modular-login app remove`): do not retry. */
  AppRemoved: 4003,
  /** `hello.version` is not spoken by this server. */
  UnsupportedVersion: 4004,
  /** The app may not use the channel (an OpenID Connect client registered without `--channel`): do not retry. */
  Forbidden: 4005,
  /** The app has as many connections to this server process as it may (`LOGIN_CHANNEL_CONNECTIONS_PER_APP`): retry later. */
  TooManyConnections: 4006,
  /** The app did not read its messages fast enough: reconnect and resume from the last cursor. */
  TooSlow: 4008,
} as const

/** Close codes after which reconnecting with the same credentials cannot help. */
export const FATAL_CLOSE_CODES: ReadonlySet<number> = new Set([
  CloseCode.Unauthorized,
  CloseCode.AppRemoved,
  CloseCode.UnsupportedVersion,
  CloseCode.Forbidden,
])

/** A request id chosen by the app; the reply carries it back. */
export type RequestId = string | number

/** A group expression: text form (`!a/b & (c | d)`) or JSON form. */
export type GroupExpression = string | { and: GroupExpression[] } | { or: GroupExpression[] } | { not: GroupExpression }

/** What every app sees of a person. */
export interface WireUser {
  id: string
  name: string
  picture: string
}

// ---- app → server

export interface HelloMessage {
  type: 'hello'
  version: number
  /** App id from `modular-login app add`. */
  app: string
  secret: string
  /** The last cursor the app received; null/absent on first start (the server then replays one lease lifetime). */
  cursor?: number | null
}
/** `token` is the expired lease itself: an app can only refresh sessions whose lease it was shown. */
export interface RefreshRequest {
  type: 'refresh'
  id: RequestId
  token: string
  ip?: string
}
export interface QueryRequest {
  type: 'query'
  id: RequestId
  user: string
  group: GroupExpression
}
export interface EnsureRequest {
  type: 'ensure'
  id: RequestId
  path: string
  /** `<provider>:<provider user id>`, e.g. `test:127.0.0.1`. */
  owner: string
}
export interface GrantRequest {
  type: 'grant'
  id: RequestId
  user: string
  path: string
  until?: number | null
  spots?: number | null
  deauthorizes?: number
  dos?: number | null
}
export interface RemoveRequest {
  type: 'remove'
  id: RequestId
  membership: string
  cascade?: boolean
}
export interface PingRequest {
  type: 'ping'
  id?: RequestId
}

export type AppRequest = RefreshRequest | QueryRequest | EnsureRequest | GrantRequest | RemoveRequest | PingRequest
export type AppMessage = HelloMessage | AppRequest
/** The `type` of a request. */
export type RequestType = AppRequest['type']
/** The request of one type. */
export type RequestOf<K extends RequestType> = Extract<AppRequest, { type: K }>

// ---- server → app

/** How the login server sets its cookie, so that an app renewing a lease sets the same one. */
export interface CookieSettings {
  name: string
  path: string
  domain?: string
  secure: boolean
  httpOnly: boolean
  sameSite: 'lax' | 'strict' | 'none'
  /** Seconds. */
  maxAge: number
}

export interface WelcomeMessage {
  type: 'welcome'
  version: number
  app: { id: string; name: string }
  /** Replay starts after this cursor. */
  cursor: number
  /** The newest cursor the server knows: the replay ends at or after it with `synced`. */
  head: number
  leaseSeconds: number
  cookie: CookieSettings
}
export interface SyncedMessage {
  type: 'synced'
  cursor: number
}

/** A session was revoked: deny its leases until `until` (Unix seconds). */
export interface RevokedPush {
  type: 'revoked'
  sid: string
  user: string
  cursor: number
  until: number
}
/** Memberships of `user` changed (removed, or the account deleted): drop cached answers for them. */
export interface MembershipPush {
  type: 'membership'
  user: string
  cursor: number
  membership?: string
}
/** The signing keys changed: replace the key set with `jwks`. */
export interface KeysPush {
  type: 'keys'
  jwks: { keys: Record<string, unknown>[] }
}

/** The answer to `refresh` when the session has ended: deny it. */
export interface RevokedReply {
  type: 'revoked'
  id: RequestId
  sid: string
}
export interface LeaseReply {
  type: 'lease'
  id: RequestId
  sid: string
  token: string
  exp: number
  user: WireUser
}
export interface MemberReply {
  type: 'member'
  id: RequestId
  user: string
  member: boolean
}
export interface EnsuredReply {
  type: 'ensured'
  id: RequestId
  path: string
  group: string
  owner: string
  membership: string
  /** Paths this call created (empty when all existed). */
  created: string[]
}
export interface GrantedReply {
  type: 'granted'
  id: RequestId
  membership: {
    id: string
    user: string
    path: string
    until: number | null
    spots: number | null
    deauthorizes: number
    dos: number | null
  }
}
export interface RemovedReply {
  type: 'removed'
  id: RequestId
  memberships: string[]
}
export interface PongReply {
  type: 'pong'
  id?: RequestId
}
/** A request failed (with its `id`), or a message could not be read at all (without). */
export interface ErrorMessage {
  type: 'error'
  id?: RequestId
  code: LoginErrorCode
  message: string
}

/**
 * The reply each request gets when it succeeds (otherwise an `error`). Every
 * request type needs its row: the server's handler table and the client's
 * `request()` are typed from it.
 */
export interface Replies {
  refresh: LeaseReply | RevokedReply
  query: MemberReply
  ensure: EnsuredReply
  grant: GrantedReply
  remove: RemovedReply
  ping: PongReply
}
/** The reply to a request of one type. */
export type ReplyTo<K extends RequestType> = Replies[K]
/** What the server sends unasked, after `synced` (and during the replay): each carries a cursor but `keys`. */
export type ServerPush = RevokedPush | MembershipPush | KeysPush

export type ServerMessage = WelcomeMessage | SyncedMessage | ServerPush | Replies[RequestType] | ErrorMessage
