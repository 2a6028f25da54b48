import type { Database } from './database.js'

/** How an app came to manage a namespace: it created it, or an admin allowed it (`app allow`). */
export type AppNamespaceKind = 'created' | 'allowed'

export interface AppNamespace {
  appId: string
  /** The path of the namespace (a root group), which may not exist yet when allowed. */
  namespace: string
  kind: AppNamespaceKind
  created: number
}

const COLUMNS = 'app_id AS "appId", namespace, kind, created'

/** Which namespaces each client application may manage. */
export class AppNamespaceStore {
  constructor(private readonly db: Database) {}

  /** Records that the app may manage `namespace`; keeps an existing record as it is. */
  async add(appId: string, namespace: string, kind: AppNamespaceKind, now: number): Promise<void> {
    await this.db.sql.run(
      `INSERT INTO app_namespaces (app_id, namespace, kind, created) VALUES (?, ?, ?, ?)
       ON CONFLICT (app_id, namespace) DO NOTHING`,
      [appId, namespace, kind, now],
    )
  }

  list(appId: string): Promise<AppNamespace[]> {
    return this.db.sql.all<AppNamespace>(`SELECT ${COLUMNS} FROM app_namespaces WHERE app_id = ? ORDER BY namespace`, [
      appId,
    ])
  }

  get(appId: string, namespace: string): Promise<AppNamespace | undefined> {
    return this.db.sql.one<AppNamespace>(`SELECT ${COLUMNS} FROM app_namespaces WHERE app_id = ? AND namespace = ?`, [
      appId,
      namespace,
    ])
  }

  /** Answers whether there was such a record. */
  async delete(appId: string, namespace: string): Promise<boolean> {
    return (
      (await this.db.sql.run('DELETE FROM app_namespaces WHERE app_id = ? AND namespace = ?', [appId, namespace])) > 0
    )
  }
}
