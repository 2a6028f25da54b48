import type { Database } from './database.js'

/** A client application registered with `modular-login app add`. */
export interface App {
  id: string
  name: string
  created: number
  /** Last successful authentication on the realtime channel; null when never. */
  lastSeen: number | null
}

/** An app with the hash of its secret, for verification only. */
export interface AppCredentials extends App {
  secretHash: Buffer
}

const COLUMNS = 'id, name, created, last_seen AS "lastSeen"'

/** Client applications and the hashes of their secrets. */
export class AppStore {
  constructor(private readonly db: Database) {}

  async insert(app: { id: string; name: string; secretHash: Buffer; created: number }): Promise<void> {
    await this.db.sql.run('INSERT INTO apps (id, name, secret_hash, created) VALUES (?, ?, ?, ?)', [
      app.id,
      app.name,
      app.secretHash,
      app.created,
    ])
  }

  /** The app and its secret hash, for checking credentials. */
  credentials(id: string): Promise<AppCredentials | undefined> {
    return this.db.sql.one<AppCredentials>(`SELECT ${COLUMNS}, secret_hash AS "secretHash" FROM apps WHERE id = ?`, [
      id,
    ])
  }

  findByName(name: string): Promise<App | undefined> {
    return this.db.sql.one<App>(`SELECT ${COLUMNS} FROM apps WHERE name = ?`, [name])
  }

  list(): Promise<App[]> {
    return this.db.sql.all<App>(`SELECT ${COLUMNS} FROM apps ORDER BY name`)
  }

  /** Deletes the app; answers whether it existed. */
  async delete(id: string): Promise<boolean> {
    return (await this.db.sql.run('DELETE FROM apps WHERE id = ?', [id])) > 0
  }

  async seen(id: string, now: number): Promise<void> {
    await this.db.sql.run('UPDATE apps SET last_seen = ? WHERE id = ?', [now, id])
  }
}
