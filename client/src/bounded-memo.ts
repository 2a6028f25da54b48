/**
 * A memo that never holds more than `limit` entries: when a new key finds it
 * full, the entries `isStale` picks go first and, if it is still full, the
 * oldest-inserted half (rather than growing without bound under a flood of
 * fresh keys). The server and the client library memoise verified leases in
 * it; it imports nothing.
 */
export class BoundedMemo<K, V> {
  private readonly entries = new Map<K, V>()

  constructor(
    private readonly limit: number,
    private readonly isStale: (value: V) => boolean,
  ) {}

  get size(): number {
    return this.entries.size
  }

  get(key: K): V | undefined {
    return this.entries.get(key)
  }

  set(key: K, value: V): void {
    if (this.entries.size >= this.limit && !this.entries.has(key)) this.makeRoom()
    this.entries.set(key, value)
  }

  delete(key: K): void {
    this.entries.delete(key)
  }

  /** Drops the stale entries. */
  sweep(): void {
    for (const [key, value] of this.entries) if (this.isStale(value)) this.entries.delete(key)
  }

  clear(): void {
    this.entries.clear()
  }

  private makeRoom(): void {
    this.sweep()
    if (this.entries.size < this.limit) return
    let drop = this.entries.size / 2
    for (const key of this.entries.keys()) {
      if (drop-- <= 0) break
      this.entries.delete(key)
    }
  }
}
