import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Engine } from './database.js'
import { migrationsDir } from '../package-files.js'

const MIGRATION_FILE = /^(\d{4})-[a-z0-9-]+\.sql$/

export interface Migration {
  version: number
  name: string
  sql: string
}

/**
 * The numbered migrations of an engine (`src/storage/migrations/<engine>/NNNN-*.sql`)
 * newer than `current`, oldest first. Both engines carry the same numbers for
 * the same change.
 */
export function pendingMigrations(engine: Engine, current: number): Migration[] {
  const folder = join(migrationsDir, engine)
  return readdirSync(folder)
    .filter(file => MIGRATION_FILE.test(file))
    .sort()
    .map(file => ({
      version: Number(MIGRATION_FILE.exec(file)![1]),
      name: file,
      sql: readFileSync(join(folder, file), 'utf8'),
    }))
    .filter(migration => migration.version > current)
}
