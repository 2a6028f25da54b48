import type { Database } from './database.js'

/** A passkey: a WebAuthn credential that signs in to one account. */
export interface Passkey {
  /** This service's id of it (a UUID). */
  id: string
  /** The authenticator's credential id, base64url. */
  credentialId: string
  userId: string
  /** The COSE public key. */
  publicKey: Buffer
  /** The signature counter last seen; 0 while the authenticator keeps none. */
  counter: number
  /** How the browser may reach the authenticator ('internal', 'hybrid', 'usb', ...). */
  transports: string[]
  /** Whether it may be synced to other devices (a "multi-device" passkey). */
  backupEligible: boolean
  /** Whether it was synced when last seen. */
  backedUp: boolean
  name: string
  created: number
  lastUsed: number | null
}

interface Row extends Omit<Passkey, 'transports' | 'backupEligible' | 'backedUp' | 'publicKey'> {
  transports: string
  backupEligible: number
  backedUp: number
  publicKey: Buffer | Uint8Array
}

const COLUMNS = `id, credential_id AS "credentialId", user_id AS "userId", public_key AS "publicKey", counter, transports,
  backup_eligible AS "backupEligible", backed_up AS "backedUp", name, created, last_used AS "lastUsed"`

function passkeyOf(row: Row): Passkey {
  return {
    ...row,
    publicKey: Buffer.from(row.publicKey),
    transports: JSON.parse(row.transports) as string[],
    backupEligible: row.backupEligible === 1,
    backedUp: row.backedUp === 1,
  }
}

/** Passkeys by account and by credential id, which belongs to one account at most. */
export class PasskeyStore {
  constructor(private readonly db: Database) {}

  async insert(passkey: Passkey): Promise<void> {
    await this.db.sql.run(
      `INSERT INTO passkeys (id, credential_id, user_id, public_key, counter, transports, backup_eligible, backed_up,
         name, created, last_used) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        passkey.id,
        passkey.credentialId,
        passkey.userId,
        passkey.publicKey,
        passkey.counter,
        JSON.stringify(passkey.transports),
        passkey.backupEligible,
        passkey.backedUp,
        passkey.name,
        passkey.created,
        passkey.lastUsed,
      ],
    )
  }

  async byCredentialId(credentialId: string): Promise<Passkey | undefined> {
    const row = await this.db.sql.one<Row>(`SELECT ${COLUMNS} FROM passkeys WHERE credential_id = ?`, [credentialId])
    return row && passkeyOf(row)
  }

  /** The account's passkey with this id; undefined when it is none of theirs. */
  async owned(userId: string, id: string): Promise<Passkey | undefined> {
    const row = await this.db.sql.one<Row>(`SELECT ${COLUMNS} FROM passkeys WHERE id = ? AND user_id = ?`, [id, userId])
    return row && passkeyOf(row)
  }

  /** The account's passkeys, oldest first. */
  async ofUser(userId: string): Promise<Passkey[]> {
    const rows = await this.db.sql.all<Row>(`SELECT ${COLUMNS} FROM passkeys WHERE user_id = ? ORDER BY created, id`, [
      userId,
    ])
    return rows.map(passkeyOf)
  }

  async countOf(userId: string): Promise<number> {
    const row = await this.db.sql.one<{ n: number }>('SELECT COUNT(*) AS n FROM passkeys WHERE user_id = ?', [userId])
    return Number(row?.n ?? 0)
  }

  /**
   * Records a verified use: the new counter, the backup state and the
   * time. With a counter, only when it went up since the row was read, in
   * the same statement: of two answers carrying the same counter (a cloned
   * authenticator, or one answer sent twice at once) one is recorded and
   * the other refused (false).
   */
  async used(id: string, seen: { counter: number; backedUp: boolean; now: number }): Promise<boolean> {
    const changed = await this.db.sql.run(
      `UPDATE passkeys SET counter = ?, backed_up = ?, last_used = ?
       WHERE id = ? AND (counter < ? OR (counter = 0 AND ? = 0))`,
      [seen.counter, seen.backedUp, seen.now, id, seen.counter, seen.counter],
    )
    return changed > 0
  }

  /** Renames one of the account's passkeys; false when it is none of theirs. */
  async rename(userId: string, id: string, name: string): Promise<boolean> {
    return (await this.db.sql.run('UPDATE passkeys SET name = ? WHERE id = ? AND user_id = ?', [name, id, userId])) > 0
  }

  /** Removes one of the account's passkeys; false when it is none of theirs. */
  async remove(userId: string, id: string): Promise<boolean> {
    return (await this.db.sql.run('DELETE FROM passkeys WHERE id = ? AND user_id = ?', [id, userId])) > 0
  }

  /** Removes every passkey of the account (its deletion). */
  async removeAllOf(userId: string): Promise<void> {
    await this.db.sql.run('DELETE FROM passkeys WHERE user_id = ?', [userId])
  }
}
