import { EventEmitter } from 'node:events'
import type { Revocation, RevocationStore } from './storage/revocations.js'

/**
 * Tails the revocation log. Every server process runs one: revocations
 * written by this process are announced at once (`poll()` right after the
 * commit), those written by other processes sharing the database within one
 * poll interval. Listeners evict caches and push to connected apps.
 */
export class RevocationFeed extends EventEmitter<{ revocation: [Revocation] }> {
  private cursor: number
  private timer: NodeJS.Timeout | null = null

  /** `from`: the cursor after which entries are announced (the log's head unless a replay is wanted). */
  constructor(
    private readonly store: RevocationStore,
    from = store.head(),
  ) {
    super()
    this.setMaxListeners(0)
    this.cursor = from
  }

  /** The newest cursor this process has announced. */
  get position(): number {
    return this.cursor
  }

  start(intervalMs: number): void {
    this.timer ??= setInterval(() => this.poll(), intervalMs).unref()
  }

  /** Announces every entry after the last one seen. Synchronous: SQLite reads are. */
  poll(): void {
    for (;;) {
      const batch = this.store.since(this.cursor)
      for (const entry of batch) {
        this.cursor = entry.cursor
        this.emit('revocation', entry)
      }
      if (batch.length < 1000) return
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }
}
