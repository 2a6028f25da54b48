import type { Database } from './database.js'

/** One generation of signing keys as stored: `material` is the generation's key pairs as JSON, private halves included. */
export interface StoredGeneration {
  kid: string
  created: number
  retired: number | null
  material: string
}

/** The signing key generations (docs/sign-in.md, "Sessions and leases": `keys rotate`). */
export class SigningKeyStore {
  constructor(private readonly db: Database) {}

  /** Every generation, oldest first. */
  all(): Promise<StoredGeneration[]> {
    return this.db.sql.all<StoredGeneration>('SELECT kid, created, retired, material FROM signing_keys ORDER BY seq')
  }

  async insert(generation: StoredGeneration): Promise<void> {
    await this.db.sql.run(
      `INSERT INTO signing_keys (kid, seq, created, retired, material)
       VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM signing_keys), ?, ?, ?)`,
      [generation.kid, generation.created, generation.retired, generation.material],
    )
  }

  /** Rewrites a generation's key material (a generation gaining keys it did not have). */
  async replace(generation: StoredGeneration): Promise<void> {
    await this.db.sql.run('UPDATE signing_keys SET material = ? WHERE kid = ?', [generation.material, generation.kid])
  }

  /** Marks the current generation(s) retired at `now`. */
  async retireCurrent(now: number): Promise<void> {
    await this.db.sql.run('UPDATE signing_keys SET retired = ? WHERE retired IS NULL', [now])
  }

  /** Forgets generations retired at or before `time`: nothing they signed can still be renewed. */
  async forgetRetiredBefore(time: number): Promise<void> {
    await this.db.sql.run('DELETE FROM signing_keys WHERE retired IS NOT NULL AND retired <= ?', [time])
  }
}
