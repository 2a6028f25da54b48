import { BoundedMemo } from './bounded-memo.js'

/** How many characters at a token's end key it: part of its signature, unlike any other live token's in practice. */
const KEY_LENGTH = 22

/**
 * A {@link BoundedMemo} of what is known about tokens (leases, as JWTs),
 * keyed by the end of each token and confirmed against the whole token on
 * a hit. A token arrives as a new string with every request, and a Map
 * hashes all of a new string's characters before it can look it up: for a
 * lease of 300 characters, several times what the rest of a memoised check
 * costs. A token that merely ends like a memoised one is no hit: it is
 * verified like any other, and takes the memoised one's place.
 */
export class TokenMemo<V> {
  private readonly entries: BoundedMemo<string, { token: string; value: V }>

  constructor(limit: number, isStale: (value: V) => boolean) {
    this.entries = new BoundedMemo(limit, entry => isStale(entry.value))
  }

  get size(): number {
    return this.entries.size
  }

  get(token: string): V | undefined {
    const entry = this.entries.get(token.slice(-KEY_LENGTH))
    return entry?.token === token ? entry.value : undefined
  }

  set(token: string, value: V): void {
    this.entries.set(token.slice(-KEY_LENGTH), { token, value })
  }

  /** Drops the stale entries. */
  sweep(): void {
    this.entries.sweep()
  }

  clear(): void {
    this.entries.clear()
  }
}
