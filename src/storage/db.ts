import Database from 'better-sqlite3'
import { mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { migrationsDir } from '../paths.js'

export type Db = Database.Database

const MIGRATION_FILE = /^(\d{4})-[a-z0-9-]+\.sql$/

/**
 * Opens (creating if needed) the SQLite database at `path` in WAL mode with
 * foreign keys on, and applies the numbered migrations in
 * `src/storage/migrations/` that it has not seen yet, each in its own
 * transaction. Several processes may open the same file: `busy_timeout`
 * makes writers queue instead of failing.
 */
export function openDatabase(path: string): Db {
  // run/ holds sessions, keys and secrets: nobody else on the machine reads it.
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.pragma('foreign_keys = ON')
  db.pragma('busy_timeout = 5000')
  db.pragma('synchronous = NORMAL')
  migrate(db)
  return db
}

function migrate(db: Db): void {
  const files = readdirSync(migrationsDir)
    .filter(f => MIGRATION_FILE.test(f))
    .sort()
  // BEGIN IMMEDIATE: two processes starting together must not both apply a migration.
  immediate(db, () => {
    const current = db.pragma('user_version', { simple: true }) as number
    for (const file of files) {
      const version = Number(MIGRATION_FILE.exec(file)![1])
      if (version <= current) continue
      db.exec(readFileSync(join(migrationsDir, file), 'utf8'))
      db.pragma(`user_version = ${version}`)
    }
  })
}

/**
 * Runs `work` inside `BEGIN IMMEDIATE … COMMIT`: the write lock is taken
 * before anything is read, so check-then-update rules (limits, counters)
 * cannot interleave with another process's. Rolls back when `work` throws.
 */
export function immediate<T>(db: Db, work: () => T): T {
  return db.transaction(work).immediate()
}
