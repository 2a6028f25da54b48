/**
 * A shared key-value cache in front of SQLite. It is never the source of
 * truth and never fails a request: every implementation answers `undefined`
 * / `false` when its backend is unreachable, and logs that once.
 */
export interface Cache {
  /** The value stored under `key`, or undefined when absent or unreachable. */
  get(key: string): Promise<string | undefined>
  /** Stores `value` under `key` for `ttlSeconds` (overwriting). */
  set(key: string, value: string, ttlSeconds: number): Promise<void>
  /**
   * Stores `value` only when `key` holds nothing; answers whether it did.
   * Readers fill the cache with `add` so that a tombstone written by a
   * concurrent revocation is never overwritten by a stale read.
   */
  add(key: string, value: string, ttlSeconds: number): Promise<boolean>
  /** Removes `key`. */
  delete(key: string): Promise<void>
  /** Releases connections and timers. */
  close(): Promise<void>
}
