import { EventEmitter } from 'node:events'
import type { Database } from './storage/database.js'
import { SerialReads } from './serial-reads.js'
import { CHANGES_CHANNEL, type Revocation, type RevocationStore } from './storage/revocations.js'

/** Timing of a feed; the defaults suit production. */
export interface FeedTiming {
  /** How often the log is read when nothing says it changed (ms). */
  pollMs: number
  /** Without a successful read for this long, the feed is behind (ms): see {@link RevocationFeed.fresh}. */
  staleMs: number
}

/**
 * Tails the revocation log. Every server process runs one: what this
 * process writes is announced at once (`poll()` right after the commit),
 * what other nodes write as soon as PostgreSQL notifies of it (or at the
 * next poll, which also covers notifications lost to an outage; on SQLite,
 * where other processes cannot notify, polls come often). Listeners evict
 * caches and push to connected apps.
 */
export class RevocationFeed extends EventEmitter<{ revocation: [Revocation] }> {
  private cursor: number
  private timer: NodeJS.Timeout | null = null
  private stopListening: (() => Promise<void>) | null = null
  private readonly reads = new SerialReads(() => this.read())
  private lastRead = 0
  private failing = false

  /** `from`: the cursor after which entries are announced (the log's head unless a replay is wanted). */
  constructor(
    private readonly store: RevocationStore,
    from: number,
    private readonly timing: FeedTiming,
    private readonly onError: (error: unknown) => void = () => {},
  ) {
    super()
    this.setMaxListeners(0)
    this.cursor = from
  }

  /** The newest cursor this process has announced. */
  get position(): number {
    return this.cursor
  }

  /**
   * Whether the feed read the log successfully within `staleMs`: only then
   * may a lease be trusted on the strength of the deny-list alone (docs/sign-in.md,
   * "Sessions and leases").
   */
  get fresh(): boolean {
    return Date.now() - this.lastRead <= this.timing.staleMs
  }

  /** Starts polling and, on PostgreSQL, listening for other nodes' changes. */
  async start(db: Database): Promise<void> {
    const tick = () => {
      this.timer = setTimeout(() => void this.poll().finally(tick), this.timing.pollMs)
      this.timer.unref()
    }
    tick()
    this.stopListening = await db.listen(
      CHANGES_CHANNEL,
      () => void this.poll(),
      () => void this.poll(),
    )
  }

  /**
   * Announces every entry after the last one seen, and resolves once a
   * read that began after the call has ended. Reads never overlap: calls
   * during a read (which may have begun before the caller's change) share
   * one more read after it. Failures (the database away) are reported and
   * leave the feed behind, not broken.
   */
  poll(): Promise<void> {
    return this.reads.run()
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    await this.stopListening?.()
    this.stopListening = null
    await this.reads.running
  }

  private async read(): Promise<void> {
    try {
      for (;;) {
        const batch = await this.store.since(this.cursor)
        for (const entry of batch) {
          this.cursor = entry.cursor
          this.emit('revocation', entry)
        }
        if (batch.length < 1000) break
      }
      this.lastRead = Date.now()
      this.failing = false
    } catch (error) {
      // Reported once per outage; `fresh` turns false by itself.
      if (!this.failing) this.onError(error)
      this.failing = true
    }
  }
}
