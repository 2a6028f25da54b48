import type { Db } from './db.js'

/** An authorization request waiting for the provider to send the browser back. */
export interface PendingFlow {
  state: string
  /** Hash of the browser's flow cookie: the callback must come from the same browser. */
  browser: string
  provider: string
  verifier: string
  nonce: string
  next: string
  /** The signed-in user this flow links a provider to; null for a sign-in. */
  linkUser: string | null
  expires: number
}

const COLUMNS = 'state, browser, provider, verifier, nonce, next, link_user AS linkUser, expires'

/** Pending OAuth flows, keyed by `state`. */
export class OAuthFlowStore {
  private readonly insert
  private readonly takeOne
  private readonly purge

  constructor(db: Db) {
    this.insert = db.prepare(
      `INSERT INTO oauth_flows (state, browser, provider, verifier, nonce, next, link_user, expires)
       VALUES (@state, @browser, @provider, @verifier, @nonce, @next, @linkUser, @expires)`,
    )
    // One statement that reads and deletes: two callbacks racing with the same
    // state cannot both get the row.
    this.takeOne = db.prepare<[string, string, string], PendingFlow>(
      `DELETE FROM oauth_flows WHERE state = ? AND browser = ? AND provider = ? RETURNING ${COLUMNS}`,
    )
    this.purge = db.prepare('DELETE FROM oauth_flows WHERE expires <= ?')
  }

  create(flow: PendingFlow): void {
    this.insert.run(flow)
  }

  /**
   * Removes and answers the flow with this state, started by this browser
   * with this provider; undefined when there is none (unknown, used, or
   * another browser's). Expiry is left to the caller, which says why.
   */
  take(state: string, browser: string, provider: string): PendingFlow | undefined {
    return this.takeOne.get(state, browser, provider)
  }

  /** Forgets flows whose browser never came back. */
  purgeExpired(now: number): void {
    this.purge.run(now)
  }
}
