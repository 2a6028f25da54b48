import type { Database } from './database.js'

/** What a passkey ceremony is for. */
export type ChallengePurpose = 'sign-in' | 'add' | 'sign-up'

/** A challenge handed to a browser, waiting for its answer. */
export interface PendingChallenge {
  /** base64url, as sent in the options. */
  challenge: string
  /** Hash of the browser's flow cookie: the answer must come from the same browser. */
  browser: string
  purpose: ChallengePurpose
  /** `add`: the signed-in account; `sign-up`: the id the new account will have; null for a sign-in. */
  userId: string | null
  /** What the ceremony needs afterwards (where to go, the typed name, the invitation), as JSON. */
  detail: string
  expires: number
}

const COLUMNS = 'challenge, browser, purpose, user_id AS "userId", detail, expires'

/** Passkey challenges in the shared database: a challenge made on one node is answered on any other. */
export class PasskeyChallengeStore {
  constructor(private readonly db: Database) {}

  async create(challenge: PendingChallenge): Promise<void> {
    await this.db.sql.run(
      'INSERT INTO passkey_challenges (challenge, browser, purpose, user_id, detail, expires) VALUES (?, ?, ?, ?, ?, ?)',
      [
        challenge.challenge,
        challenge.browser,
        challenge.purpose,
        challenge.userId,
        challenge.detail,
        challenge.expires,
      ],
    )
  }

  /**
   * Removes and answers the challenge, if this browser asked for it for
   * this purpose; undefined otherwise (unknown, used, another browser's).
   * One statement reads and deletes: two answers racing with the same
   * challenge cannot both get it. Expiry is left to the caller, which says why.
   */
  take(challenge: string, browser: string, purpose: ChallengePurpose): Promise<PendingChallenge | undefined> {
    return this.db.sql.one<PendingChallenge>(
      `DELETE FROM passkey_challenges WHERE challenge = ? AND browser = ? AND purpose = ? RETURNING ${COLUMNS}`,
      [challenge, browser, purpose],
    )
  }

  /** Forgets challenges nobody answered in time. */
  async purgeExpired(now: number): Promise<void> {
    await this.db.sql.run('DELETE FROM passkey_challenges WHERE expires <= ?', [now])
  }
}
