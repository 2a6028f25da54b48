import type { Cache } from './cache.js'

/** Options of {@link MemoryCache}. */
export interface MemoryCacheOptions {
  /** Entries kept at most; the oldest-inserted goes first when full (100 000). */
  readonly maxEntries?: number
  /** How often expired entries are swept out, in milliseconds (60 000). */
  readonly sweepIntervalMs?: number
  /** Current time in milliseconds (`Date.now`); tests move it by hand. */
  readonly now?: () => number
}

interface Entry {
  readonly value: string
  readonly expiresAt: number
}

/**
 * The in-process {@link Cache}: the default when no memcached is configured.
 *
 * Each server process holds its own copy, so it suits a single process; with
 * several processes configure memcached. Entries expire after their TTL
 * (dropped when read, and by a periodic sweep so that keys nobody reads again
 * do not pile up), and the size is bounded by evicting the oldest-inserted
 * entry. A TTL of zero or less stores nothing: `set` then removes the key and
 * `add` answers false, as in `MemcachedCache`.
 */
export class MemoryCache implements Cache {
  readonly #entries = new Map<string, Entry>()
  readonly #maxEntries: number
  readonly #now: () => number
  readonly #sweep: NodeJS.Timeout

  constructor(options: MemoryCacheOptions = {}) {
    const { maxEntries = 100_000, sweepIntervalMs = 60_000, now = Date.now } = options
    if (!Number.isInteger(maxEntries) || maxEntries < 1)
      throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`)
    if (!(sweepIntervalMs > 0)) throw new RangeError(`sweepIntervalMs must be positive, got ${sweepIntervalMs}`)
    this.#maxEntries = maxEntries
    this.#now = now
    // unref: an idle cache must not keep a process (or a test run) alive.
    this.#sweep = setInterval(() => this.#sweepExpired(), sweepIntervalMs).unref()
  }

  /** Entries held, expired ones not yet dropped included. */
  get size(): number {
    return this.#entries.size
  }

  async get(key: string): Promise<string | undefined> {
    return this.#live(key)?.value
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.#store(key, value, ttlSeconds)
  }

  async add(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    if (this.#live(key) !== undefined) return false
    return this.#store(key, value, ttlSeconds)
  }

  async delete(key: string): Promise<void> {
    this.#entries.delete(key)
  }

  async close(): Promise<void> {
    clearInterval(this.#sweep)
    this.#entries.clear()
  }

  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    if (entry.expiresAt <= this.#now()) {
      this.#entries.delete(key)
      return undefined
    }
    return entry
  }

  #store(key: string, value: string, ttlSeconds: number): boolean {
    // Deleting first moves a rewritten key to the young end of the Map's
    // insertion order, so eviction order follows the latest write.
    this.#entries.delete(key)
    // `!(> 0)` also catches NaN, which would otherwise never expire.
    if (!(ttlSeconds > 0)) return false
    this.#entries.set(key, { value, expiresAt: this.#now() + ttlSeconds * 1000 })
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.#maxEntries) break
      this.#entries.delete(oldest)
    }
    return true
  }

  #sweepExpired(): void {
    const now = this.#now()
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt <= now) this.#entries.delete(key)
    }
  }
}
