import Database from 'better-sqlite3'
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync } from 'node:fs'
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
  if (path !== ':memory:') makePrivate(path)
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.pragma('foreign_keys = ON')
  db.pragma('busy_timeout = 5000')
  db.pragma('synchronous = NORMAL')
  migrate(db)
  return db
}

/**
 * The database holds session ids and invitation ids (bearer links): its
 * folder is 0700 and its files 0600 on every start, whatever an older
 * version or a wider umask left. SQLite gives the -wal and -shm files it
 * creates the database file's mode, so the file is made private first.
 */
function makePrivate(path: string): void {
  const folder = dirname(path)
  mkdirSync(folder, { recursive: true, mode: 0o700 })
  chmodSync(folder, 0o700)
  closeSync(openSync(path, 'a', 0o600))
  for (const file of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(file)) chmodSync(file, 0o600)
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
