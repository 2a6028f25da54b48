import type { FastifyBaseLogger } from 'fastify'
import {
  CLOCK_SKEW_SECONDS,
  CloseCode,
  MAX_MESSAGE_BYTES,
  PROTOCOL_VERSION,
  type AppRequest,
  type CookieSettings,
  type MembershipPush,
  type ReplyTo,
  type RequestId,
  type RequestType,
  type RevokedPush,
  type ServerMessage,
  type WelcomeMessage,
} from 'modular-login-client/protocol'
import type { RawData, WebSocket } from 'ws'
import { leaseCookieMaxAge, leaseCookieOptions } from '../signed-in/lease-cookie.js'
import { parseIdentity } from '../auth/identity.js'
import type { AppContext } from '../context.js'
import { errors, isLoginError, type LoginError } from '../errors.js'
import type { MaybePromise } from '../maybe-promise.js'
import { appActor } from '../groups/actor.js'
import { pathsOf } from '../groups/expressions.js'
import { namespaceOf } from '../groups/group-paths.js'
import type { App } from '../storage/apps.js'
import type { Revocation } from '../storage/revocations.js'
import type { AppShare, AppShares } from './app-shares.js'
import { ChannelScope } from './channel-scope.js'
import { isRequestType, readId, validators, type Json } from './requests.js'

/** Requests answered asynchronously that one connection may have outstanding. */
const MAX_IN_FLIGHT = 256
/** An app that lets this much pile up unread is cut off; it reconnects and resumes from its cursor. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024
/** Entries read from the log per replay step. */
const REPLAY_BATCH = 500
/** The replay pauses while this much is still unsent. */
const REPLAY_BUFFER_BYTES = 1024 * 1024

/** What the app sees of one revocation; null for entries apps are not told. */
export function pushFor(entry: Revocation, leaseSeconds: number): RevokedPush | MembershipPush | null {
  switch (entry.kind) {
    case 'session':
      return {
        type: 'revoked',
        sid: entry.subject,
        user: entry.userId,
        cursor: entry.cursor,
        until: entry.created + leaseSeconds + CLOCK_SKEW_SECONDS,
      }
    case 'membership':
      return { type: 'membership', user: entry.userId, membership: entry.subject, cursor: entry.cursor }
    case 'user':
      return { type: 'membership', user: entry.subject, cursor: entry.cursor }
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

/** What a request handler works with: the server's services, the app asking and what it may see, and a logger that names it. */
export interface RequestScope {
  ctx: AppContext
  app: App
  scope: ChannelScope
  log: FastifyBaseLogger
}

/**
 * The channel's requests, one handler each (docs/protocol.md, "Requests
 * and replies"), typed from the protocol: a request type without its handler,
 * or a handler answering anything but its reply, does not compile.
 */
type RequestHandlers = {
  [K in AppRequest['type']]: (
    request: Extract<AppRequest, { type: K }>,
    scope: RequestScope,
  ) => MaybePromise<ReplyTo<K>>
}

const handlers: RequestHandlers = {
  async refresh({ id, token, ip }, { ctx, log }) {
    const lease = await ctx.leases.check(token)
    if (lease.status === 'invalid') throw new errors.BadMessage('token is not a lease signed by this server')
    const { sid } = lease.claims
    const renewed = await ctx.sessions.refresh(sid)
    if (!renewed) return { type: 'revoked', id, sid }
    log.debug({ sid, ip }, 'lease refreshed for an app')
    return { type: 'lease', id, sid, token: renewed.token, exp: renewed.claims.exp, user: renewed.user }
  },

  async query({ id, user, group }, { ctx, app, scope }) {
    const namespaces = new Set(pathsOf(group).map(namespaceOf))
    // What this connection has followed of the log answers at once; the database has the last word (a namespace
    // the app created a moment ago may not have come through the log yet).
    if (!scope.reads(namespaces)) await ctx.groups.appScope.assertReads(app.id, namespaces)
    return { type: 'member', id, user, member: await ctx.groups.membership.satisfies(user, group) }
  },

  async ensure({ id, path, owner }, { ctx, app, log }) {
    const { provider, providerUserId } = parseIdentity(owner)
    const result = await ctx.groups.tree.ensureNamespace(path, provider, providerUserId, appActor(app.id))
    if (result.createdGroups.length || result.createdMembership)
      log.info({ path, owner }, 'namespace ensured by an app')
    return {
      type: 'ensured',
      id,
      path: result.group.path,
      group: result.group.id,
      owner: result.owner.id,
      membership: result.membership.id,
      created: result.createdGroups,
    }
  },

  async grant({ id, user, path, until, spots, deauthorizes, dos }, { ctx, app, log }) {
    const m = await ctx.groups.membership.grant(user, path, { until, spots, deauthorizes, dos }, appActor(app.id))
    log.info({ user, path, membership: m.id }, 'membership granted by an app')
    return {
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
    }
  },

  async remove({ id, membership, cascade }, { ctx, app, log }) {
    const memberships = await ctx.groups.membership.remove(membership, { cascade }, appActor(app.id))
    log.info({ memberships }, 'memberships removed by an app')
    return { type: 'removed', id, memberships }
  },

  ping: ({ id }) => ({ type: 'pong', ...(id === undefined ? {} : { id }) }),
}

/**
 * One app connection. Before `hello` only `hello` is accepted; afterwards
 * requests are answered (each reply carries the request's `id`), at most
 * `channelRateLimit` a second for all the app's connections together, and
 * the revocation log is pushed as far as the app may hear of it: first the
 * entries the app missed since its cursor (the replay), then live entries,
 * in cursor order, each once.
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
  /** The app's share of this process (its connections, its request budget); set once `hello` is accepted. */
  private share: AppShare | null = null
  /** What the app may hear of; set once `hello` is accepted. */
  private scope: ChannelScope | null = null
  /** Set while reading from the app is paused (it sent more than it may be refused). */
  private holding: NodeJS.Timeout | null = null
  private log: FastifyBaseLogger

  constructor(
    private readonly ws: WebSocket,
    private readonly ctx: AppContext,
    private readonly shares: AppShares,
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

  /**
   * Takes in an entry of the live feed (its push encoded once for every
   * connection) unless the replay already did, and sends it when the app
   * may hear of it.
   */
  push(entry: Revocation, message: Buffer | null): void {
    if (!this.live || entry.cursor <= this.sent) return
    this.sent = entry.cursor
    if (this.scope!.follow(entry) && message !== null) this.sendText(message)
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

  /** Closes with a reason that starts with the error's code (docs/protocol.md, "Limits and close codes"). */
  refuse(code: number, error: LoginError): void {
    this.close(code, `${error.code}: ${error.message}`)
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
    if (this.holding) clearTimeout(this.holding)
    if (this.share) this.shares.release(this.share)
    this.share = null
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
    const { code, message } = error as LoginError
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
      if (!this.app) return this.refuse(CloseCode.BadHello, error as LoginError)
      return this.fail(error)
    }
    this.ctx.metrics.realtimeMessage(message.type)
    if (this.app) return this.dispatch(message, message.type)
    // Nothing more is read until the app is known (checking its credentials reads the database).
    this.ws.pause()
    void this.hello(message)
      .catch(error => this.refuse(CloseCode.BadHello, isLoginError(error) ? error : new errors.Internal()))
      .finally(() => this.ws.resume())
  }

  /**
   * Every message after `hello` passes here: the rate limit, then its type,
   * known to be a request type from `answer` on (the one place that sees
   * each request's type before its validator and handler run).
   */
  private dispatch(message: Json, type: string): void {
    let id: RequestId | undefined
    try {
      id = readId(message)
      const { requests, refusals } = this.share!
      if (!requests.take()) {
        if (!refusals.take()) this.holdOff()
        throw new errors.RateLimited(`${requests.waitMs} ms`)
      }
      if (type === 'hello') throw new errors.BadMessage('already authenticated')
      if (!isRequestType(type)) throw new errors.BadMessage(`unknown type ${JSON.stringify(type.slice(0, 40))}`)
      if (this.inFlight >= MAX_IN_FLIGHT) throw new errors.RateLimited(`${MAX_IN_FLIGHT} requests outstanding`)
      this.answer(type, message, id)
    } catch (error) {
      this.fail(error, id)
    }
  }

  /**
   * Stops reading from an app that keeps sending past its budget, until it
   * may be refused as often again: what it sent meanwhile waits in its own
   * socket, so a flood costs the server a bounded amount of work.
   */
  private holdOff(): void {
    if (this.holding) return
    this.ws.pause()
    this.holding = setTimeout(() => {
      this.holding = null
      this.ws.resume()
    }, this.share!.refusals.fullMs)
  }

  /** Validates a request of a known type and runs its handler; an asynchronous answer counts as in flight. */
  private answer<K extends RequestType>(type: K, message: Json, id: RequestId | undefined): void {
    const scope = { ctx: this.ctx, app: this.app!, scope: this.scope!, log: this.log }
    const reply = handlers[type](validators[type](message, id), scope)
    if (!(reply instanceof Promise)) return this.send(reply)
    this.inFlight++
    reply
      .then(
        answer => this.send(answer),
        error => this.fail(error, id),
      )
      .finally(() => this.inFlight--)
  }

  private async hello(message: Json): Promise<void> {
    clearTimeout(this.helloTimer)
    if (message.type !== 'hello')
      return this.refuse(CloseCode.BadHello, new errors.BadMessage('the first message must be hello'))
    if (message.version !== PROTOCOL_VERSION) {
      return this.refuse(
        CloseCode.UnsupportedVersion,
        new errors.ProtocolVersion(`this server speaks version ${PROTOCOL_VERSION}`),
      )
    }
    const app = await this.ctx.apps.authenticate(message.app, message.secret)
    if (!app) {
      this.log.warn(
        { app: typeof message.app === 'string' ? message.app.slice(0, 100) : null },
        'app authentication failed',
      )
      return this.refuse(CloseCode.Unauthorized, new errors.AppAuth('wrong app id or secret'))
    }
    const cursor = message.cursor
    if (cursor !== undefined && cursor !== null && !(Number.isSafeInteger(cursor) && (cursor as number) >= 0)) {
      return this.refuse(CloseCode.BadHello, new errors.BadMessage('cursor must be a whole number or null'))
    }
    if (!app.channel) {
      this.log.warn({ app: app.name }, 'an OpenID Connect client registered without --channel tried the channel')
      return this.refuse(
        CloseCode.Forbidden,
        new errors.Forbidden('an OpenID Connect client uses the channel only if registered with --channel'),
      )
    }
    const share = this.shares.admit(app.id)
    if (!share) {
      this.log.warn({ app: app.name, limit: this.shares.limit }, 'app refused: as many connections as it may have')
      return this.refuse(
        CloseCode.TooManyConnections,
        new errors.TooManyConnections(`this app has ${this.shares.limit} open to this server process`),
      )
    }
    // Counted at once, so that concurrent hellos cannot overshoot; given back if the connection closed meanwhile.
    this.share = share
    if (this.closed) return this.dispose()
    const { ctx } = this
    this.scope = await ChannelScope.load(app.id, ctx.groups.appScope)
    if (this.closed) return
    this.app = app
    this.log = this.log.child({ app: app.name })

    await ctx.feed.poll()
    // Revocations older than one lease lifetime concern only leases that have expired anyway.
    const window = await ctx.revocations.cursorBefore(ctx.clock.now() - ctx.config.leaseSeconds - CLOCK_SKEW_SECONDS)
    const head = ctx.feed.position
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
   * switch to live follows a read that found nothing left while the feed
   * stood still, in the same synchronous step, so nothing falls between.
   */
  private async replay(): Promise<void> {
    const { revocations, feed, config } = this.ctx
    let replayed = 0
    for (;;) {
      if (this.closed) return
      const head = feed.position
      const batch = (await revocations.since(this.sent, REPLAY_BATCH)).filter(entry => entry.cursor <= head)
      if (this.closed) return
      if (batch.length === 0) {
        // The feed moved on during the read: what it announced meanwhile was skipped as not live yet.
        if (feed.position !== head) continue
        this.sent = Math.max(this.sent, head)
        this.live = true
        this.send({ type: 'synced', cursor: this.sent })
        if (replayed > 0) this.log.info({ replayed, cursor: this.sent }, 'app caught up')
        return
      }
      for (const entry of batch) {
        this.sent = entry.cursor
        const push = this.scope!.follow(entry) ? pushFor(entry, config.leaseSeconds) : null
        if (push !== null) {
          this.send(push)
          replayed++
        }
      }
      await new Promise(resolve => setImmediate(resolve))
      // A long backlog goes out at the pace the app reads it, instead of piling up until it is cut off as too slow.
      while (this.ws.bufferedAmount > REPLAY_BUFFER_BYTES && !this.closed)
        await new Promise(resolve => setTimeout(resolve, 5))
    }
  }
}
