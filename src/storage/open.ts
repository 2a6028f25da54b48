import { join } from 'node:path'
import type { Database } from './database.js'
import { PostgresDatabase } from './postgres.js'
import { SqliteDatabase } from './sqlite.js'

/** Where the data lives: `LOGIN_DATABASE` (a `postgres://` URL) when set, else SQLite under `run/`. */
export interface DatabaseSettings {
  database: string | null
  runDir: string
  /** How long a write transaction waits for the write lock (`LOGIN_DATABASE_LOCK_TIMEOUT_MS`). */
  databaseLockTimeoutMs: number
}

/** The SQLite file of the embedded engine. */
export function sqlitePath(runDir: string): string {
  return join(runDir, 'login.sqlite')
}

/** Opens the configured database and brings its schema up to date. */
export async function openDatabase(settings: DatabaseSettings): Promise<Database> {
  const lockTimeoutMs = settings.databaseLockTimeoutMs
  if (settings.database) return PostgresDatabase.open(settings.database, { lockTimeoutMs })
  return new SqliteDatabase(sqlitePath(settings.runDir), lockTimeoutMs)
}
