import WebSocket from 'ws'
import type { LoginErrorCode } from './errors.js'
import type { LoginLogger } from './log.js'
import {
  CHANNEL_PATH,
  FATAL_CLOSE_CODES,
  PROTOCOL_VERSION,
  type ReplyTo,
  type RequestOf,
  type RequestType,
  type ServerMessage,
  type ServerPush,
  type WelcomeMessage,
} from './protocol.js'

/** Pushes and lifecycle events the connection hands to its owner (the core). */
export interface ConnectionEvents {
  /** `gap`: the server replays from another cursor than the one asked for, so membership changes may have been skipped. */
  welcome(message: WelcomeMessage, gap: boolean): void
  synced?(cursor: number, replayed: number): void
  push(message: ServerPush): void
}

/** Where to connect, as whom, and the timing of requests and reconnection. */
export interface ConnectionOptions {
  server: string
  app: { id: string; secret: string }
  requestTimeoutMs: number
  reconnectMinMs: number
  reconnectMaxMs: number
  log: LoginLogger
}

/** Without a ping or message for this long the server is presumed gone (it pings every 30 s). */
const SILENCE_MS = 75_000

/** The fields of a request but its type and id, which the connection adds. */
export type RequestFields<K extends RequestType> = Omit<RequestOf<K>, 'type' | 'id'>
type Pending = { resolve: (reply: ServerMessage) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }

/** Raised when the login server cannot answer (down, reconnecting, timed out). */
export class UnavailableError extends Error {
  readonly code: LoginErrorCode = 'LOGIN_ERR_UNAVAILABLE'
}

/** Raised when the server answers a request with `{type: 'error'}`. */
export class ServerError extends Error {
  constructor(
    readonly code: LoginErrorCode,
    message: string,
  ) {
    super(message)
  }
}

/**
 * The app's end of `/login/ws`: authenticates with `hello` carrying the last
 * cursor, correlates requests and replies by id, and reconnects with
 * exponential backoff (with jitter) until closed or refused for good.
 */
export class Connection {
  /** The last cursor received; sent in `hello` so that the server replays what was missed. */
  cursor: number | null = null
  private ws: WebSocket | null = null
  private state: 'idle' | 'connecting' | 'open' | 'down' | 'closed' | 'refused' = 'idle'
  private everOpen = false
  private nextId = 1
  private readonly pending = new Map<number, Pending>()
  private attempts = 0
  private retry: NodeJS.Timeout | null = null
  private silence: NodeJS.Timeout | null = null
  private replayed = 0
  private outageSince: number | null = null
  /** Waiting for `welcome`; `attempt`: only for the connection attempt under way (requests), not across retries (`ready()`). */
  private waiters: { resolve: () => void; reject: (error: Error) => void; attempt?: boolean }[] = []
  private refusal: Error | null = null

  constructor(
    private readonly options: ConnectionOptions,
    private readonly events: ConnectionEvents,
  ) {}

  /** Whether `welcome` has been received on the current connection. */
  get isOpen(): boolean {
    return this.state === 'open'
  }

  start(): void {
    if (this.state === 'idle') this.open()
  }

  /** Resolves once connected and authenticated; rejects if the server refuses the credentials. */
  ready(): Promise<void> {
    if (this.state === 'open') return Promise.resolve()
    if (this.refusal) return Promise.reject(this.refusal)
    this.start()
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }))
  }

  /**
   * Sends a request and resolves with its reply. Fails fast with
   * {@link UnavailableError} while the server is known to be down; before
   * the first connection it waits for it (up to the request timeout).
   */
  async request<K extends RequestType>(type: K, fields: RequestFields<K>): Promise<ReplyTo<K>> {
    if (this.state !== 'open') {
      // Before the first connection, wait for the attempt under way; after it, or once one failed, fail fast.
      if (this.everOpen || (this.state !== 'idle' && this.state !== 'connecting')) {
        throw new UnavailableError(this.refusal?.message ?? 'the login server is not connected')
      }
      this.start()
      await this.withTimeout(
        new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject, attempt: true })),
      )
    }
    const id = this.nextId++
    return new Promise<ReplyTo<K>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new UnavailableError(`no answer to ${type} within ${this.options.requestTimeoutMs} ms`))
      }, this.options.requestTimeoutMs)
      // The reply carrying this id is the one the protocol pairs with this request type.
      this.pending.set(id, { resolve: reply => resolve(reply as ReplyTo<K>), reject, timer })
      this.ws!.send(JSON.stringify({ ...fields, type, id }))
    })
  }

  close(): void {
    this.state = 'closed'
    if (this.retry) clearTimeout(this.retry)
    if (this.silence) clearTimeout(this.silence)
    this.failPending(new UnavailableError('the login client was closed'))
    for (const waiter of this.waiters.splice(0)) waiter.reject(new UnavailableError('the login client was closed'))
    this.ws?.close(1000, 'client closing')
    this.ws?.terminate()
  }

  private withTimeout(promise: Promise<void>): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new UnavailableError('the login server did not answer in time')),
        this.options.requestTimeoutMs,
      )
      promise.then(
        () => {
          clearTimeout(timer)
          resolve()
        },
        error => {
          clearTimeout(timer)
          reject(error)
        },
      )
    })
  }

  private url(): string {
    const url = new URL(CHANNEL_PATH, this.options.server)
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
    return url.href
  }

  private open(): void {
    this.state = 'connecting'
    const ws = new WebSocket(this.url(), { perMessageDeflate: false, handshakeTimeout: this.options.requestTimeoutMs })
    this.ws = ws
    ws.on('open', () => {
      ws.send(
        JSON.stringify({
          type: 'hello',
          version: PROTOCOL_VERSION,
          app: this.options.app.id,
          secret: this.options.app.secret,
          cursor: this.cursor,
        }),
      )
      this.heard()
    })
    ws.on('message', data => {
      this.heard()
      let message: ServerMessage
      try {
        message = JSON.parse(data.toString()) as ServerMessage
      } catch {
        this.options.log.warn({}, 'login server sent a message that is not JSON; ignored')
        return
      }
      this.receive(message)
    })
    ws.on('ping', () => this.heard())
    ws.on('error', error => this.options.log.debug?.({ err: error.message }, 'login channel error'))
    ws.on('close', (code, reason) => this.closed(ws, code, reason.toString()))
  }

  private heard(): void {
    if (this.silence) clearTimeout(this.silence)
    this.silence = setTimeout(() => {
      this.options.log.warn({}, 'login server silent for too long: reconnecting')
      this.ws?.terminate()
    }, SILENCE_MS).unref()
  }

  private receive(message: ServerMessage): void {
    switch (message.type) {
      case 'welcome': {
        // The server decides where the replay starts: the cursor asked for, or later when that was older
        // than one lease lifetime, or earlier when the server's log is not the one the cursor came from.
        const gap = this.cursor !== null && message.cursor !== this.cursor
        this.state = 'open'
        this.everOpen = true
        this.attempts = 0
        this.replayed = 0
        this.cursor = message.cursor
        this.events.welcome(message, gap)
        for (const waiter of this.waiters.splice(0)) waiter.resolve()
        return
      }
      case 'synced':
        this.cursor = Math.max(this.cursor ?? 0, message.cursor)
        if (this.outageSince !== null) {
          this.options.log.info(
            { replayed: this.replayed, cursor: this.cursor, downMs: Date.now() - this.outageSince },
            'login server reconnected; missed revocations applied',
          )
          this.outageSince = null
        }
        this.events.synced?.(this.cursor, this.replayed)
        return
      default:
        break
    }
    const id = (message as { id?: unknown }).id
    if (typeof id === 'number' && this.pending.has(id)) {
      const pending = this.pending.get(id)!
      this.pending.delete(id)
      clearTimeout(pending.timer)
      if (message.type === 'error') pending.reject(new ServerError(message.code, message.message))
      else pending.resolve(message)
      return
    }
    if (message.type === 'error') {
      this.options.log.warn({ code: message.code }, `login server: ${message.message}`)
      return
    }
    const cursor = (message as { cursor?: unknown }).cursor
    if (typeof cursor === 'number') {
      if (this.cursor !== null && cursor <= this.cursor) return
      this.cursor = cursor
      this.replayed++
    }
    this.events.push(message as ServerPush)
  }

  private closed(ws: WebSocket, code: number, reason: string): void {
    if (ws !== this.ws) return
    if (this.silence) clearTimeout(this.silence)
    const wasOpen = this.state === 'open'
    this.failPending(new UnavailableError(`the connection to the login server closed (${code})`))
    if (this.state === 'closed') return
    if (FATAL_CLOSE_CODES.has(code)) {
      this.state = 'refused'
      this.refusal = new UnavailableError(`the login server refused this app: ${code} ${reason}`)
      this.options.log.error(
        { code, reason },
        'login server refused this app; not reconnecting (check the app id and secret, or `modular-login app list`)',
      )
      for (const waiter of this.waiters.splice(0)) waiter.reject(this.refusal)
      return
    }
    this.state = 'down'
    const failed = new UnavailableError(`the login server cannot be reached (${code})`)
    this.waiters = this.waiters.filter(waiter => !(waiter.attempt && (waiter.reject(failed), true)))
    const delay = this.backoff()
    if (wasOpen || this.outageSince === null) {
      this.outageSince ??= Date.now()
      this.options.log.warn(
        { code, reason, retryMs: delay },
        'login server unreachable: serving unexpired, unrevoked leases from memory until it is back',
      )
    } else {
      this.options.log.debug?.({ code, retryMs: delay }, 'login server still unreachable')
    }
    this.retry = setTimeout(() => this.open(), delay)
    this.retry.unref()
  }

  private backoff(): number {
    const { reconnectMinMs, reconnectMaxMs } = this.options
    const base = Math.min(reconnectMaxMs, reconnectMinMs * 2 ** Math.min(this.attempts++, 20))
    return Math.round(base * (0.8 + Math.random() * 0.4))
  }

  private failPending(error: Error): void {
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer)
      pending.reject(error)
    }
    this.pending.clear()
  }
}
