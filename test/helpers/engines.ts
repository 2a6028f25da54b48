import { join } from 'node:path'
import type { Config } from '../../src/config.js'
import type { Database, Engine } from '../../src/storage/database.js'
import { PostgresDatabase } from '../../src/storage/postgres.js'
import { SqliteDatabase } from '../../src/storage/sqlite.js'
import { tempDir } from './app.js'
import { startPostgres } from './postgres.js'
import type { Teardown } from './teardown.js'

/** A storage engine under test: fresh databases, and second connections to them as another process or node would open. */
export interface EngineUnderTest {
  engine: Engine
  /** A fresh, migrated database, closed when `t` ends. */
  open(t: Teardown): Promise<Database>
  /** Another connection to the database `db` (from `open`), closed when `t` ends. */
  another(t: Teardown, db: Database): Promise<Database>
  /** Settings of a server on a fresh database of this engine (SQLite: the test's own run folder). */
  serverSettings(): Promise<Partial<Config>>
}

const sqlite: EngineUnderTest = {
  engine: 'sqlite',
  async open(t) {
    const db = new SqliteDatabase(join(tempDir(t), 'login.sqlite'))
    t.teardown(() => db.close())
    return db
  },
  async another(t, db) {
    const again = new SqliteDatabase(db.description)
    t.teardown(() => again.close())
    return again
  },
  serverSettings: async () => ({}),
}

/**
 * The engines every repository is tested on (CONTRIBUTING.md, "Running the tests"):
 * SQLite, and PostgreSQL on a private cluster shared by the calling test
 * file (give it the file's root `t`). Without PostgreSQL installed, outside
 * CI, only SQLite with the reason PostgreSQL was left out; under `CI=true`
 * a missing PostgreSQL fails the file.
 */
export async function storageEngines(t: Teardown): Promise<{ engines: EngineUnderTest[]; skipped: string | null }> {
  const cluster = await startPostgres(t)
  if (typeof cluster === 'string') return { engines: [sqlite], skipped: cluster }
  const urls = new Map<Database, string>()
  const postgres: EngineUnderTest = {
    engine: 'postgres',
    async open(tt) {
      const url = await cluster.createDatabase()
      const db = await PostgresDatabase.open(url)
      tt.teardown(() => db.close())
      urls.set(db, url)
      return db
    },
    async another(tt, db) {
      const again = await PostgresDatabase.open(urls.get(db)!)
      tt.teardown(() => again.close())
      return again
    },
    serverSettings: async () => ({ database: await cluster.createDatabase() }),
  }
  return { engines: [sqlite, postgres], skipped: null }
}
