import type { FastifyBaseLogger } from 'fastify'
import type { RawData, WebSocket } from 'ws'
import { leaseCookieMaxAge, leaseCookieOptions } from '../auth/cookie.js'
import { parseIdentity } from '../cli/user.js'
import type { AppContext } from '../context.js'
import { errors, isLoginError } from '../errors.js'
import { appActor, type Actor } from '../groups/actor.js'
import type { GrantOptions } from '../groups/membership.js'
import type { App } from '../storage/apps.js'
import type { Revocation } from '../storage/revocations.js'
import type { AppService } from './apps.js'
import {
  CloseCode,
  MAX_MESSAGE_BYTES,
  PROTOCOL_VERSION,
  type CookieSettings,
  type RequestId,
  type ServerMessage,
  type WelcomeMessage,
} from './protocol.js'

/** Requests answered asynchronously that one connection may have outstanding. */
const MAX_IN_FLIGHT = 256
/** An app that lets this much pile up unread is cut off; it reconnects and resumes from its cursor. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024
/** Entries read from the log per replay step. */
const REPLAY_BATCH = 500
/** The replay pauses while this much is still unsent. */
const REPLAY_BUFFER_BYTES = 1024 * 1024
/** Processes' clocks and the app's may disagree a little; replays and deny-lists reach this much further back. */
export const CLOCK_SKEW_SECONDS = 60

type Json = Record<string, unknown>

/** What the app sees of one revocation, serialised once for every connection; null for entries apps are not told. */
export function pushFor(entry: Revocation, leaseSeconds: number): string | null {
  switch (entry.kind) {
    case 'session':
      return JSON.stringify({
        type: 'revoked',
        sid: entry.subject,
        user: entry.userId,
        cursor: entry.cursor,
        until: entry.created + leaseSeconds + CLOCK_SKEW_SECONDS,
      })
    case 'membership':
      return JSON.stringify({ type: 'membership', user: entry.userId, membership: entry.subject, cursor: entry.cursor })
    case 'user':
      return JSON.stringify({ type: 'membership', user: entry.subject, cursor: entry.cursor })
    default:
      return null
  }
}

export function cookieSettings(ctx: AppContext): CookieSettings {
  const options = leaseCookieOptions(ctx.config)
  return {
    name: ctx.config.cookieName,
    path: options.path ?? '/',
    ...(options.domain ? { domain: options.domain } : {}),
    secure: Boolean(options.secure),
    httpOnly: options.httpOnly !== false,
    sameSite: 'lax',
    maxAge: leaseCookieMaxAge(ctx.config),
  }
}

function text(value: unknown, field: string, max = 256): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw new errors.BadMessage(`${field} must be a string of 1 to ${max} characters`)
  }
  return value
}

function requestId(message: Json): RequestId {
  const id = message.id
  if (
    (typeof id === 'string' && id.length > 0 && id.length <= 128) ||
    (typeof id === 'number' && Number.isSafeInteger(id))
  )
    return id
  throw new errors.BadMessage('a request needs an id: a string of 1 to 128 characters or an integer')
}

/**
 * One app connection. Before `hello` only `hello` is accepted; afterwards
 * requests are answered (each reply carries the request's `id`) and the
 * revocation log is pushed: first the entries the app missed since its
 * cursor (the replay), then live entries, in cursor order, each once.
 */
export class Channel {
  app: App | null = null
  /** Answered a ping since the last heartbeat. */
  alive = true
  private live = false
  private sent = 0
  private inFlight = 0
  private closed = false
  private readonly helloTimer: NodeJS.Timeout
  private log: FastifyBaseLogger

  constructor(
    private readonly ws: WebSocket,
    private readonly ctx: AppContext,
    private readonly apps: AppService,
    remote: string,
    helloTimeoutMs: number,
  ) {
    this.log = ctx.log.child({ channel: remote })
    this.helloTimer = setTimeout(() => this.close(CloseCode.HelloTimeout, 'no hello in time'), helloTimeoutMs)
    ws.on('message', (data, isBinary) => this.receive(data, isBinary))
    ws.on('pong', () => {
      this.alive = true
    })
    ws.on('close', () => this.dispose())
    ws.on('error', error => this.log.info({ err: error.message }, 'app connection error'))
  }

  /** Whether this connection is past `hello` and its replay (so live pushes go straight out). */
  get isLive(): boolean {
    return this.live
  }

  /** Sends a revocation of the live feed (encoded once for every connection), unless the replay already did. */
  push(cursor: number, message: Buffer | null): void {
    if (!this.live || cursor <= this.sent) return
    this.sent = cursor
    if (message !== null) this.sendText(message)
  }

  /** Sends a message that carries no cursor (`keys`). */
  broadcast(message: string): void {
    if (this.app) this.sendText(message)
  }

  close(code: number, reason: string): void {
    if (this.closed) return
    this.closed = true
    clearTimeout(this.helloTimer)
    this.ws.close(code, reason)
    // A peer that never answers the close handshake must not hold the socket.
    setTimeout(() => this.ws.terminate(), 2000).unref()
  }

  /** Ends a connection that stopped answering pings. */
  terminate(): void {
    this.closed = true
    this.ws.terminate()
  }

  ping(): void {
    this.alive = false
    this.ws.ping()
  }

  private dispose(): void {
    this.closed = true
    this.live = false
    clearTimeout(this.helloTimer)
  }

  private sendText(message: string | Buffer): void {
    if (this.closed) return
    if (this.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.log.warn(
        { app: this.app?.name },
        'app does not read its messages: disconnected (it resumes from its cursor)',
      )
      this.close(CloseCode.TooSlow, 'too slow: reconnect and resume from your cursor')
      return
    }
    this.ws.send(message, { binary: false })
  }

  private send(message: ServerMessage): void {
    this.sendText(JSON.stringify(message))
  }

  private fail(error: unknown, id?: RequestId): void {
    if (!isLoginError(error)) {
      this.log.error({ err: error, app: this.app?.name }, 'realtime request failed')
      error = new errors.Internal()
    }
    const { code, message } = error as { code: string; message: string }
    this.send({ type: 'error', ...(id === undefined ? {} : { id }), code, message })
  }

  private receive(data: RawData, isBinary: boolean): void {
    if (this.closed) return
    const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : (data as Buffer).byteLength
    let message: Json
    try {
      if (isBinary) throw new errors.BadMessage('send JSON in text frames')
      if (size > MAX_MESSAGE_BYTES) throw new errors.MessageTooLarge(`${size} bytes, at most ${MAX_MESSAGE_BYTES}`)
      let parsed: unknown
      try {
        const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data)
        parsed = JSON.parse(bytes.toString('utf8'))
      } catch {
        throw new errors.BadMessage('not JSON')
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new errors.BadMessage('a message is a JSON object')
      message = parsed as Json
      if (typeof message.type !== 'string') throw new errors.BadMessage('a message needs a string type')
    } catch (error) {
      if (!this.app)
        return this.close(
          CloseCode.BadHello,
          `${(error as { code?: string }).code ?? 'LOGIN_ERR_BAD_MESSAGE'}: the first message must be hello`,
        )
      return this.fail(error)
    }
    if (!this.app) return this.hello(message)
    let id: RequestId | undefined
    try {
      if (message.type === 'ping') {
        id = message.id === undefined ? undefined : requestId(message)
        return this.send({ type: 'pong', ...(id === undefined ? {} : { id }) })
      }
      id = requestId(message)
      switch (message.type) {
        case 'refresh':
          return void this.refresh(id, message)
        case 'query':
          return this.query(id, message)
        case 'ensure':
          return this.ensure(id, message)
        case 'grant':
          return this.grant(id, message)
        case 'remove':
          return this.remove(id, message)
        case 'hello':
          throw new errors.BadMessage('already authenticated')
        default:
          throw new errors.BadMessage(`unknown type ${JSON.stringify(String(message.type).slice(0, 40))}`)
      }
    } catch (error) {
      this.fail(error, id)
    }
  }

  private hello(message: Json): void {
    clearTimeout(this.helloTimer)
    if (message.type !== 'hello')
      return this.close(CloseCode.BadHello, 'LOGIN_ERR_BAD_MESSAGE: the first message must be hello')
    if (message.version !== PROTOCOL_VERSION) {
      return this.close(
        CloseCode.UnsupportedVersion,
        `LOGIN_ERR_PROTOCOL_VERSION: this server speaks version ${PROTOCOL_VERSION}`,
      )
    }
    const app = this.apps.authenticate(message.app, message.secret)
    if (!app) {
      this.log.warn(
        { app: typeof message.app === 'string' ? message.app.slice(0, 100) : null },
        'app authentication failed',
      )
      return this.close(CloseCode.Unauthorized, 'LOGIN_ERR_APP_AUTH: wrong app id or secret')
    }
    const cursor = message.cursor
    if (cursor !== undefined && cursor !== null && !(Number.isSafeInteger(cursor) && (cursor as number) >= 0)) {
      return this.close(CloseCode.BadHello, 'LOGIN_ERR_BAD_MESSAGE: cursor must be a whole number or null')
    }
    this.app = app
    this.log = this.log.child({ app: app.name })

    const { ctx } = this
    ctx.feed.poll()
    const head = ctx.feed.position
    // Revocations older than one lease lifetime concern only leases that have expired anyway.
    const window = ctx.revocations.cursorBefore(ctx.clock.now() - ctx.config.leaseSeconds - CLOCK_SKEW_SECONDS)
    const asked = typeof cursor === 'number' && cursor <= head ? cursor : null
    this.sent = Math.max(asked ?? 0, window)
    const welcome: WelcomeMessage = {
      type: 'welcome',
      version: PROTOCOL_VERSION,
      app: { id: app.id, name: app.name },
      cursor: this.sent,
      head,
      leaseSeconds: ctx.config.leaseSeconds,
      cookie: cookieSettings(ctx),
    }
    this.send(welcome)
    this.log.info({ cursor: asked, from: this.sent, head }, 'app connected')
    void this.replay()
  }

  /**
   * Sends the log from the cursor up to what this process has announced,
   * a batch per turn of the event loop, then turns live. Live pushes that
   * happen meanwhile are skipped here and picked up by the next batch; the
   * switch to live happens in the same synchronous step as the read that
   * found nothing left, so nothing falls between the two.
   */
  private async replay(): Promise<void> {
    const { revocations, feed, config } = this.ctx
    let replayed = 0
    for (;;) {
      if (this.closed) return
      const head = feed.position
      const batch = revocations.since(this.sent, REPLAY_BATCH).filter(entry => entry.cursor <= head)
      if (batch.length === 0) {
        this.sent = Math.max(this.sent, head)
        this.live = true
        this.send({ type: 'synced', cursor: this.sent })
        if (replayed > 0) this.log.info({ replayed, cursor: this.sent }, 'app caught up')
        return
      }
      for (const entry of batch) {
        this.sent = entry.cursor
        const message = pushFor(entry, config.leaseSeconds)
        if (message !== null) {
          this.sendText(message)
          replayed++
        }
      }
      await new Promise(resolve => setImmediate(resolve))
      // A long backlog goes out at the pace the app reads it, instead of piling up until it is cut off as too slow.
      while (this.ws.bufferedAmount > REPLAY_BUFFER_BYTES && !this.closed)
        await new Promise(resolve => setTimeout(resolve, 5))
    }
  }

  private async guarded(id: RequestId, work: () => Promise<ServerMessage>): Promise<void> {
    if (this.inFlight >= MAX_IN_FLIGHT)
      return this.fail(new errors.RateLimited(`${MAX_IN_FLIGHT} requests outstanding`), id)
    this.inFlight++
    try {
      this.send(await work())
    } catch (error) {
      this.fail(error, id)
    } finally {
      this.inFlight--
    }
  }

  private refresh(id: RequestId, message: Json): Promise<void> {
    const token = text(message.token, 'token', 8192)
    return this.guarded(id, async () => {
      const lease = await this.ctx.leases.check(token)
      if (lease.status === 'invalid') throw new errors.BadMessage('token is not a lease signed by this server')
      const { sid } = lease.claims
      const renewed = await this.ctx.sessions.refresh(sid)
      if (!renewed) return { type: 'revoked', id, sid }
      this.log.debug(
        { sid, ip: typeof message.ip === 'string' ? message.ip.slice(0, 64) : undefined },
        'lease refreshed for an app',
      )
      return { type: 'lease', id, sid, token: renewed.token, exp: renewed.claims.exp, user: renewed.user }
    })
  }

  /** Group changes this connection asks for are the app's: bound to its namespaces. */
  private actor(): Actor {
    return appActor(this.app!.id)
  }

  private query(id: RequestId, message: Json): void {
    const user = text(message.user, 'user', 128)
    if (message.group === undefined) throw new errors.BadMessage('group is required')
    const member = this.ctx.groups.membership.holds(user, message.group)
    this.send({ type: 'member', id, user, member })
  }

  private ensure(id: RequestId, message: Json): void {
    const path = text(message.path, 'path', 512)
    const { provider, providerUserId } = parseIdentity(text(message.owner, 'owner', 300))
    const result = this.ctx.groups.tree.ensureNamespace(path, provider, providerUserId, this.actor())
    if (result.createdGroups.length || result.createdMembership)
      this.log.info({ path, owner: message.owner }, 'namespace ensured by an app')
    this.send({
      type: 'ensured',
      id,
      path: result.group.path,
      group: result.group.id,
      owner: result.owner.id,
      membership: result.membership.id,
      created: result.createdGroups,
    })
  }

  private grant(id: RequestId, message: Json): void {
    const user = text(message.user, 'user', 128)
    const path = text(message.path, 'path', 512)
    // The values are checked by the membership service, with the same messages as its HTTP routes.
    const options: Json = {}
    for (const field of ['until', 'spots', 'deauthorizes', 'dos'])
      if (message[field] !== undefined) options[field] = message[field]
    const m = this.ctx.groups.membership.grant(user, path, options as GrantOptions, this.actor())
    this.log.info({ user, path, membership: m.id }, 'membership granted by an app')
    this.send({
      type: 'granted',
      id,
      membership: {
        id: m.id,
        user: m.userId,
        path: m.path,
        until: m.until,
        spots: m.spots,
        deauthorizes: m.deauthorizes,
        dos: m.dos,
      },
    })
  }

  private remove(id: RequestId, message: Json): void {
    const membership = text(message.membership, 'membership', 128)
    if (message.cascade !== undefined && typeof message.cascade !== 'boolean')
      throw new errors.BadMessage('cascade must be true or false')
    const memberships = this.ctx.groups.membership.remove(
      membership,
      { cascade: message.cascade === true },
      this.actor(),
    )
    this.log.info({ memberships }, 'memberships removed by an app')
    this.send({ type: 'removed', id, memberships })
  }
}
