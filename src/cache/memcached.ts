import { createHash } from 'node:crypto'
import memjs from 'memjs'
import type { Cache } from './cache.js'

/** Where the cache reports outages; a pino (or Fastify) logger fits. */
export interface CacheLogger {
  warn(objOrMsg: object | string, msg?: string): void
  info(objOrMsg: object | string, msg?: string): void
}

/** Options of {@link MemcachedCache}. */
export interface MemcachedCacheOptions {
  /** Put in front of every key, so that several apps can share a memcached (`login:`). */
  readonly prefix?: string
  /** Longest wait for one answer before the operation gives up, in milliseconds (150). */
  readonly timeoutMs?: number
  /** Pause after the first failure before memcached is tried again, in milliseconds (1 000). */
  readonly backoffMs?: number
  /** The pause doubles after each failed retry up to this, in milliseconds (30 000). */
  readonly maxBackoffMs?: number
  /** Current time in milliseconds (`Date.now`), for the back-off schedule. */
  readonly now?: () => number
  /** Called for every operation that failed (unreachable, timed out or refused), e.g. to count them. */
  readonly onError?: () => void
}

/** Longest key memcached accepts is 250 bytes; longer ones are hashed well below it. */
const MAX_KEY_BYTES = 200
/** memcached reads an expiration above 30 days as an absolute Unix time. */
const RELATIVE_TTL_LIMIT = 30 * 24 * 3600
const MAX_UNIX_SECONDS = 0xffff_ffff

/** One memcached server's health, so that one dead node does not stop the others. */
interface Health {
  readonly name: string
  down: boolean
  downSince: number
  backoffMs: number
  retryAt: number
  /** A retry is under way; everyone else keeps skipping until it answers. */
  probing: boolean
}

/**
 * The {@link Cache} shared by every server process, over memcached (`memjs`).
 *
 * Never the source of truth, so it trades answers for latency: each operation
 * waits at most `timeoutMs`, and any failure (refused, reset, timed out)
 * answers `undefined` / `false` instead of throwing. After a failure the
 * server is skipped entirely for a back-off period (doubling, up to
 * `maxBackoffMs`), then one request probes it while the others keep skipping;
 * so a dead server costs nothing per request. Each transition to unreachable
 * and back is logged once.
 *
 * While a server is skipped, `set` and `delete` are skipped too: an entry
 * another process cached there can outlive a change until its TTL ends, so
 * keep TTLs short where staleness matters.
 *
 * A TTL of zero or less stores nothing: `set` then deletes the key and `add`
 * answers false. TTLs are rounded up to whole seconds.
 */
export class MemcachedCache implements Cache {
  readonly #client: memjs.Client<string, Buffer | null>
  readonly #health: readonly Health[]
  readonly #log: CacheLogger
  readonly #prefix: string
  readonly #timeoutMs: number
  readonly #backoffMs: number
  readonly #maxBackoffMs: number
  readonly #now: () => number
  readonly #onError: () => void
  #closed = false

  /** @param servers `host:port` of each memcached, at least one. */
  constructor(servers: readonly string[], log: CacheLogger, options: MemcachedCacheOptions = {}) {
    const { prefix = 'login:', timeoutMs = 150, backoffMs = 1000, maxBackoffMs = 30_000, now = Date.now } = options
    this.#onError = options.onError ?? (() => {})
    if (servers.length === 0) throw new RangeError('MemcachedCache needs at least one server')
    // Hashed keys are the prefix plus 44 characters; keep that under 250 bytes.
    if (Buffer.byteLength(prefix) > 100) throw new RangeError('cache key prefix must be at most 100 bytes')
    if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be positive, got ${timeoutMs}`)
    if (!(backoffMs > 0) || !(maxBackoffMs >= backoffMs))
      throw new RangeError(`need 0 < backoffMs <= maxBackoffMs, got ${backoffMs} and ${maxBackoffMs}`)
    this.#log = log
    this.#prefix = prefix
    this.#timeoutMs = timeoutMs
    this.#backoffMs = backoffMs
    this.#maxBackoffMs = maxBackoffMs
    this.#now = now
    this.#client = memjs.Client.create<string, Buffer | null>(servers.join(','), {
      // memjs's own timers tear down a hung socket at our deadline, so the
      // next try reconnects instead of queueing behind it.
      timeout: timeoutMs / 1000,
      // A slow connect may finish in the background and serve a later try.
      conntimeout: (2 * timeoutMs) / 1000,
      // Retrying would multiply the wait; the back-off does the retrying.
      retries: 0,
      keepAlive: true,
      // memjs logs every failed request; we log each outage once instead.
      logger: { log: () => {} },
    })
    this.#health = this.#client.servers.map(s => ({
      name: `${s.host}:${s.port}`,
      down: false,
      downSince: 0,
      backoffMs: 0,
      retryAt: 0,
      probing: false,
    }))
  }

  async get(key: string): Promise<string | undefined> {
    const k = this.#key(key)
    return this.#run(k, 'get', undefined, async c => {
      const { value } = await c.get(k)
      return value === null ? undefined : value.toString('utf8')
    })
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    const k = this.#key(key)
    // memcached reads 0 as "never expires"; a non-positive TTL means "already gone".
    if (!(ttlSeconds > 0))
      return this.#run(k, 'delete', undefined, async c => {
        await c.delete(k)
      })
    const expires = expiration(ttlSeconds)
    return this.#run(k, 'set', undefined, async c => {
      await c.set(k, value, { expires })
    })
  }

  async add(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    if (!(ttlSeconds > 0)) return false
    const k = this.#key(key)
    const expires = expiration(ttlSeconds)
    return this.#run(k, 'add', false, c => c.add(k, value, { expires }))
  }

  async delete(key: string): Promise<void> {
    const k = this.#key(key)
    return this.#run(k, 'delete', undefined, async c => {
      await c.delete(k)
    })
  }

  async close(): Promise<void> {
    // Marked first so that nothing reconnects the sockets closed below.
    this.#closed = true
    this.#client.close()
  }

  #key(key: string): string {
    const full = this.#prefix + key
    if (Buffer.byteLength(full) <= MAX_KEY_BYTES) return full
    return `${this.#prefix}#${createHash('sha256').update(key).digest('base64url')}`
  }

  async #run<T>(
    key: string,
    op: string,
    fallback: T,
    call: (client: memjs.Client<string, Buffer | null>) => Promise<T>,
  ): Promise<T> {
    if (this.#closed) return fallback
    // Mirrors memjs's own choice of server for the key (Client#server).
    const health = this.#health.length > 1 ? this.#health[Number(this.#client.getServer(key))] : this.#health[0]
    if (health === undefined) return fallback
    let probe = false
    if (health.down) {
      if (health.probing || this.#now() < health.retryAt) return fallback
      health.probing = probe = true
    }
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.#timeoutMs} ms`)), this.#timeoutMs)
    })
    try {
      // A call that loses the race may settle later; race() has already
      // attached its handlers, so a late rejection is not unhandled.
      const result = await Promise.race([call(this.#client), deadline])
      this.#answered(health, probe)
      return result
    } catch (err) {
      this.#onError()
      if (isServerAnswer(err)) {
        // The server is up and refused this one request (value too large,
        // out of memory, ...): no back-off, but say so since it is a bug or
        // a capacity problem. Keys are not logged, they may hold secrets.
        this.#answered(health, probe)
        this.#log.warn({ err, server: health.name, op }, 'memcached refused a cache operation')
      } else {
        this.#failed(health, probe, err)
      }
      return fallback
    } finally {
      clearTimeout(timer)
      if (probe) health.probing = false
    }
  }

  #answered(health: Health, probe: boolean): void {
    // Only the probe speaks for the server's present state: a request sent
    // before the outage may still come back late.
    if (!health.down || !probe) return
    health.down = false
    health.backoffMs = 0
    this.#log.info({ server: health.name, downForMs: this.#now() - health.downSince }, 'memcached reachable again')
  }

  #failed(health: Health, probe: boolean, err: unknown): void {
    const now = this.#now()
    if (!health.down) {
      health.down = true
      health.downSince = now
      health.backoffMs = this.#backoffMs
      health.retryAt = now + health.backoffMs
      this.#log.warn(
        { err, server: health.name, retryInMs: health.backoffMs },
        'memcached unreachable; serving without the cache',
      )
    } else if (probe) {
      health.backoffMs = Math.min(2 * health.backoffMs, this.#maxBackoffMs)
      health.retryAt = now + health.backoffMs
    }
  }
}

function expiration(ttlSeconds: number): number {
  const seconds = Math.ceil(ttlSeconds)
  if (seconds <= RELATIVE_TTL_LIMIT) return seconds
  return Math.min(Math.floor(Date.now() / 1000) + seconds, MAX_UNIX_SECONDS)
}

/** memjs words every error status the server sent back as `MemJS <OP>: <status>`. */
function isServerAnswer(err: unknown): boolean {
  return err instanceof Error && /^MemJS [A-Z]+: /.test(err.message)
}
