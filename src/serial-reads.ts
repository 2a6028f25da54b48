/**
 * A read that never overlaps itself: `run()` starts it, or, while one is
 * under way (which may have begun before the caller's change), answers one
 * more read after it, shared by every call made meanwhile. Each call
 * resolves once a read that began after the call has ended. The revocation
 * feed reads its log this way, and the access rules are read again so.
 */
export class SerialReads {
  private current: Promise<void> | null = null
  private next: Promise<void> | null = null

  constructor(private readonly read: () => Promise<void>) {}

  run(): Promise<void> {
    if (!this.current) {
      this.current = this.read().finally(() => {
        this.current = null
      })
      return this.current
    }
    this.next ??= this.current.then(() => {
      this.next = null
      return this.run()
    })
    return this.next
  }

  /** The read under way, if any. */
  get running(): Promise<void> | null {
    return this.current
  }
}
