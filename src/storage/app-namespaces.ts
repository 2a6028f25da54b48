import type { Db } from './db.js'

/** How an app came to manage a namespace: it created it, or an admin allowed it (`app allow`). */
export type AppNamespaceKind = 'created' | 'allowed'

export interface AppNamespace {
  appId: string
  /** The path of the namespace (a root group), which may not exist yet when allowed. */
  namespace: string
  kind: AppNamespaceKind
  created: number
}

const COLUMNS = 'app_id AS appId, namespace, kind, created'

/** Which namespaces each client application may manage. */
export class AppNamespaceStore {
  private readonly insert
  private readonly ofApp
  private readonly one
  private readonly remove

  constructor(db: Db) {
    this.insert = db.prepare(
      `INSERT INTO app_namespaces (app_id, namespace, kind, created) VALUES (?, ?, ?, ?)
       ON CONFLICT (app_id, namespace) DO NOTHING`,
    )
    this.ofApp = db.prepare<[string], AppNamespace>(
      `SELECT ${COLUMNS} FROM app_namespaces WHERE app_id = ? ORDER BY namespace`,
    )
    this.one = db.prepare<[string, string], AppNamespace>(
      `SELECT ${COLUMNS} FROM app_namespaces WHERE app_id = ? AND namespace = ?`,
    )
    this.remove = db.prepare('DELETE FROM app_namespaces WHERE app_id = ? AND namespace = ?')
  }

  /** Records that the app may manage `namespace`; keeps an existing record as it is. */
  add(appId: string, namespace: string, kind: AppNamespaceKind, now: number): void {
    this.insert.run(appId, namespace, kind, now)
  }

  list(appId: string): AppNamespace[] {
    return this.ofApp.all(appId)
  }

  get(appId: string, namespace: string): AppNamespace | undefined {
    return this.one.get(appId, namespace)
  }

  /** Answers whether there was such a record. */
  delete(appId: string, namespace: string): boolean {
    return this.remove.run(appId, namespace).changes > 0
  }
}
