import type { Database } from './database.js'

/**
 * How an app came to a namespace: it created it, claimed it at registration
 * (`app add --namespace`), an admin let it manage it (`app allow`) or only
 * read it (`app allow --read`).
 */
export type AppNamespaceKind = 'created' | 'claimed' | 'allowed' | 'read'

export interface AppNamespace {
  appId: string
  /** The path of the namespace (a root group), which may not exist yet when allowed. */
  namespace: string
  kind: AppNamespaceKind
  created: number
}

/** An app's hold on a namespace, with the app's name. */
export interface NamespaceHolder extends AppNamespace {
  appName: string
}

const COLUMNS = 'app_id AS "appId", namespace, kind, created'

/** Which namespaces each client application may manage or read. */
export class AppNamespaceStore {
  constructor(private readonly db: Database) {}

  /** Records how the app holds `namespace`, replacing what was recorded before. */
  async set(appId: string, namespace: string, kind: AppNamespaceKind, now: number): Promise<void> {
    await this.db.sql.run(
      `INSERT INTO app_namespaces (app_id, namespace, kind, created) VALUES (?, ?, ?, ?)
       ON CONFLICT (app_id, namespace) DO UPDATE SET kind = excluded.kind, created = excluded.created`,
      [appId, namespace, kind, now],
    )
  }

  /** Every app that holds `namespace`, by name. */
  holders(namespace: string): Promise<NamespaceHolder[]> {
    return this.db.sql.all<NamespaceHolder>(
      `SELECT n.app_id AS "appId", n.namespace, n.kind, n.created, a.name AS "appName"
       FROM app_namespaces n JOIN apps a ON a.id = n.app_id WHERE n.namespace = ? ORDER BY a.name`,
      [namespace],
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
