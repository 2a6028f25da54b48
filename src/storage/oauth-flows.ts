import type { Database } from './database.js'

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

const COLUMNS = 'state, browser, provider, verifier, nonce, next, link_user AS "linkUser", expires'

/** Pending OAuth flows, keyed by `state`: any node may receive the callback of a flow another node started. */
export class OAuthFlowStore {
  constructor(private readonly db: Database) {}

  async create(flow: PendingFlow): Promise<void> {
    await this.db.sql.run(
      `INSERT INTO oauth_flows (state, browser, provider, verifier, nonce, next, link_user, expires)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [flow.state, flow.browser, flow.provider, flow.verifier, flow.nonce, flow.next, flow.linkUser, flow.expires],
    )
  }

  /**
   * Removes and answers the flow with this state, started by this browser
   * with this provider; undefined when there is none (unknown, used, or
   * another browser's). One statement that reads and deletes: two callbacks
   * racing with the same state cannot both get the row. Expiry is left to
   * the caller, which says why.
   */
  take(state: string, browser: string, provider: string): Promise<PendingFlow | undefined> {
    return this.db.sql.one<PendingFlow>(
      `DELETE FROM oauth_flows WHERE state = ? AND browser = ? AND provider = ? RETURNING ${COLUMNS}`,
      [state, browser, provider],
    )
  }

  /** Forgets flows whose browser never came back. */
  async purgeExpired(now: number): Promise<void> {
    await this.db.sql.run('DELETE FROM oauth_flows WHERE expires <= ?', [now])
  }
}
