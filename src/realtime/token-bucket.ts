/**
 * A token bucket: holds up to `burst` tokens, refilled at `perSecond`, one
 * taken per request. Measured on a monotonic clock in milliseconds (real
 * time, not the rules' clock: it paces work, it decides nothing).
 */
export class TokenBucket {
  private tokens: number
  private last: number

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly nowMs: () => number = () => performance.now(),
  ) {
    this.tokens = burst
    this.last = nowMs()
  }

  /** Takes a token if there is one; answers whether it did. */
  take(): boolean {
    this.refill()
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }

  /** Milliseconds until the next token. */
  get waitMs(): number {
    this.refill()
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) * 1000) / this.perSecond)
  }

  /** Milliseconds until the bucket is full again. */
  get fullMs(): number {
    this.refill()
    return Math.ceil(((this.burst - this.tokens) * 1000) / this.perSecond)
  }

  private refill(): void {
    const now = this.nowMs()
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.perSecond) / 1000)
    this.last = now
  }
}
