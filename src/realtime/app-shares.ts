import { TokenBucket } from './token-bucket.js'

/** What the connections of one app to this process share: their number, and one budget of requests. */
export interface AppShare {
  connections: number
  /** Requests answered, and requests refused as rate-limited: each at most `channelRateLimit` a second. */
  requests: TokenBucket
  refusals: TokenBucket
}

/**
 * Each app's share of this server process's channel (docs/protocol.md, "Limits and
 * close codes"): at most `perApp` connections, and one request budget
 * across them, so that opening more connections buys an app nothing. A
 * share outlives its connections (reconnecting refills nothing) until the
 * app is removed. Counted per process: with several processes or nodes an
 * app may hold `perApp` connections to each.
 */
export class AppShares {
  private readonly shares = new Map<string, AppShare>()

  constructor(
    private readonly perApp: number,
    private readonly rate: number,
  ) {}

  /** Counts one more connection of the app; null when it holds `perApp` already. */
  admit(appId: string): AppShare | null {
    let share = this.shares.get(appId)
    if (!share) {
      share = {
        connections: 0,
        requests: new TokenBucket(this.rate, this.rate),
        refusals: new TokenBucket(this.rate, this.rate),
      }
      this.shares.set(appId, share)
    }
    if (share.connections >= this.perApp) return null
    share.connections++
    return share
  }

  /** One connection of the app closed. */
  release(share: AppShare): void {
    share.connections--
  }

  /** The app was removed: nothing of it is kept. */
  forget(appId: string): void {
    this.shares.delete(appId)
  }

  get limit(): number {
    return this.perApp
  }
}
