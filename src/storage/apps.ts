import type { Db } from './db.js'

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

const COLUMNS = 'id, name, created, last_seen AS lastSeen'

/** Client applications and the hashes of their secrets. */
export class AppStore {
  private readonly insertApp
  private readonly byId
  private readonly byName
  private readonly all
  private readonly deleteApp
  private readonly touch

  constructor(db: Db) {
    this.insertApp = db.prepare('INSERT INTO apps (id, name, secret_hash, created) VALUES (?, ?, ?, ?)')
    this.byId = db.prepare<[string], AppCredentials>(
      `SELECT ${COLUMNS}, secret_hash AS secretHash FROM apps WHERE id = ?`,
    )
    this.byName = db.prepare<[string], App>(`SELECT ${COLUMNS} FROM apps WHERE name = ?`)
    this.all = db.prepare<[], App>(`SELECT ${COLUMNS} FROM apps ORDER BY name`)
    this.deleteApp = db.prepare('DELETE FROM apps WHERE id = ?')
    this.touch = db.prepare('UPDATE apps SET last_seen = ? WHERE id = ?')
  }

  insert(app: { id: string; name: string; secretHash: Buffer; created: number }): void {
    this.insertApp.run(app.id, app.name, app.secretHash, app.created)
  }

  /** The app and its secret hash, for checking credentials. */
  credentials(id: string): AppCredentials | undefined {
    return this.byId.get(id)
  }

  findByName(name: string): App | undefined {
    return this.byName.get(name)
  }

  list(): App[] {
    return this.all.all()
  }

  /** Deletes the app; answers whether it existed. */
  delete(id: string): boolean {
    return this.deleteApp.run(id).changes > 0
  }

  seen(id: string, now: number): void {
    this.touch.run(now, id)
  }
}
