import type { Database } from './database.js'

/** One artefact of the OpenID Provider, as oidc-provider wrote it (its "payload"). */
export type OidcPayload = Record<string, unknown>

/** A login session that still has OpenID Provider sessions although it ended or timed out. */
export interface EndedSession {
  sid: string
  /** Null when the login session row is gone (the account was deleted). */
  userId: string | null
  /** Revoked (or gone), as opposed to past a timeout that nobody has acted on yet. */
  revoked: boolean
}

/** Cut-off times (Unix seconds) under which a login session has timed out; null when that timeout is off. */
export interface TimeoutCutoffs {
  refreshedBefore: number | null
  createdBefore: number | null
}

interface Row {
  payload: string
  consumed: number | null
}

function decode(row: Row | undefined): OidcPayload | undefined {
  if (!row) return undefined
  const payload = JSON.parse(row.payload) as OidcPayload
  return row.consumed === null ? payload : { ...payload, consumed: row.consumed }
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null
}

/**
 * What the OpenID Provider stores: oidc-provider's sessions, grants, tokens,
 * interactions and authorization codes, in the database every node shares;
 * the provider's adapter (`src/oidc/adapter.ts`) calls nothing else.
 */
export class OidcStore {
  constructor(private readonly db: Database) {}

  /**
   * Stores or replaces an artefact, kept until `expires` (Unix seconds). A
   * replaced artefact is new again: single use counts from its latest version.
   * `ip`: the address whose request stored it (interactions), kept when a
   * later version names none.
   */
  async upsert(
    model: string,
    id: string,
    payload: OidcPayload,
    expires: number,
    ip: string | null = null,
  ): Promise<void> {
    await this.db.sql.run(
      `INSERT INTO oidc_models (model, id, payload, grant_id, uid, user_code, consumed, expires, ip)
       VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?)
       ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
         uid = excluded.uid, user_code = excluded.user_code, consumed = NULL, expires = excluded.expires,
         ip = COALESCE(excluded.ip, oidc_models.ip)`,
      [
        model,
        id,
        JSON.stringify(payload),
        text(payload.grantId),
        model === 'Session' ? text(payload.uid) : null,
        model === 'DeviceCode' ? text(payload.userCode) : null,
        expires,
        ip,
      ],
    )
  }

  /**
   * Stores or replaces an interaction (an authorization request waiting for
   * the user). A new one stored for `ip` is refused (false) while that address
   * already holds `limit` unexpired ones at `now`; counting and storing are one
   * transaction, so that requests at once never hold more.
   */
  async upsertInteraction(
    id: string,
    payload: OidcPayload,
    expires: number,
    from: { ip: string | null; limit: number; now: number },
  ): Promise<boolean> {
    return this.db.transaction(async () => {
      const known = await this.db.sql.one(
        `SELECT 1 AS "known" FROM oidc_models WHERE model = 'Interaction' AND id = ?`,
        [id],
      )
      if (!known && from.ip !== null) {
        const held = await this.db.sql.one<{ n: number }>(
          `SELECT COUNT(*) AS "n" FROM oidc_models WHERE ip = ? AND model = 'Interaction' AND expires > ?`,
          [from.ip, from.now],
        )
        if (Number(held?.n ?? 0) >= from.limit) return false
      }
      await this.upsert('Interaction', id, payload, expires, from.ip)
      return true
    })
  }

  /** The artefact, unless it is missing or expired at `now`. */
  async find(model: string, id: string, now: number): Promise<OidcPayload | undefined> {
    return decode(
      await this.db.sql.one<Row>(
        'SELECT payload, consumed FROM oidc_models WHERE model = ? AND id = ? AND expires > ?',
        [model, id, now],
      ),
    )
  }

  /** The provider session that mirrors the login session `uid` (its sid). */
  async findSessionByUid(uid: string, now: number): Promise<OidcPayload | undefined> {
    return decode(
      await this.db.sql.one<Row>(
        `SELECT payload, consumed FROM oidc_models WHERE uid = ? AND model = 'Session' AND expires > ?
         ORDER BY expires DESC LIMIT 1`,
        [uid, now],
      ),
    )
  }

  /** The device code that a person's user code (normalised) stands for, unless it expired. */
  async findByUserCode(userCode: string, now: number): Promise<OidcPayload | undefined> {
    return decode(
      await this.db.sql.one<Row>(
        `SELECT payload, consumed FROM oidc_models WHERE user_code = ? AND model = 'DeviceCode' AND expires > ?
         ORDER BY expires DESC LIMIT 1`,
        [userCode, now],
      ),
    )
  }

  /** Marks a single-use artefact used; false when it already was, by a request that got there first. */
  async consume(model: string, id: string, now: number): Promise<boolean> {
    const changed = await this.db.sql.run(
      'UPDATE oidc_models SET consumed = ? WHERE model = ? AND id = ? AND consumed IS NULL',
      [now, model, id],
    )
    return changed > 0
  }

  async destroy(model: string, id: string): Promise<void> {
    await this.db.sql.run('DELETE FROM oidc_models WHERE model = ? AND id = ?', [model, id])
  }

  /** Deletes the artefacts of one model issued under a grant. */
  async revokeByGrantId(model: string, grantId: string): Promise<void> {
    await this.db.sql.run('DELETE FROM oidc_models WHERE grant_id = ? AND model = ?', [grantId, model])
  }

  /** Deletes a grant and everything issued under it. */
  async revokeGrant(grantId: string): Promise<void> {
    await this.db.sql.run(`DELETE FROM oidc_models WHERE grant_id = ? OR (model = 'Grant' AND id = ?)`, [
      grantId,
      grantId,
    ])
  }

  /**
   * Deletes and answers the provider sessions that mirror login session
   * `uid`. Deleting is the claim: of several processes ending the same
   * session, exactly one gets them and notifies the clients.
   */
  async takeSessions(uid: string): Promise<OidcPayload[]> {
    const rows = await this.db.sql.all<Row>(
      `DELETE FROM oidc_models WHERE uid = ? AND model = 'Session' RETURNING payload, consumed`,
      [uid],
    )
    return rows.map(row => decode(row)!)
  }

  /** Login sessions with provider sessions that were revoked, are gone, or are past a timeout. */
  async endedSessions(cutoffs: TimeoutCutoffs): Promise<EndedSession[]> {
    // -1: a timeout that is off matches no session.
    const rows = await this.db.sql.all<{ sid: string; userId: string | null; revoked: number }>(
      `SELECT DISTINCT m.uid AS sid, s.user_id AS "userId",
         CASE WHEN s.sid IS NULL OR s.revoked IS NOT NULL THEN 1 ELSE 0 END AS revoked
       FROM oidc_models m LEFT JOIN sessions s ON s.sid = m.uid
       WHERE m.model = 'Session' AND m.uid IS NOT NULL
         AND (s.sid IS NULL OR s.revoked IS NOT NULL OR s.refreshed <= ? OR s.created <= ?)`,
      [cutoffs.refreshedBefore ?? -1, cutoffs.createdBefore ?? -1],
    )
    return rows.map(row => ({ sid: row.sid, userId: row.userId, revoked: row.revoked === 1 }))
  }

  /** Deletes the artefacts expired at `now`; answers how many went. */
  sweep(now: number): Promise<number> {
    return this.db.sql.run('DELETE FROM oidc_models WHERE expires <= ?', [now])
  }
}
