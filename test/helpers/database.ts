import { join } from 'node:path'
import { KeyRing } from '../../src/auth/keys.js'
import type { Database } from '../../src/storage/database.js'
import { RevocationStore } from '../../src/storage/revocations.js'
import { SigningKeyStore } from '../../src/storage/signing-keys.js'
import { SqliteDatabase } from '../../src/storage/sqlite.js'
import { tempDir } from './temp-dir.js'
import type { Teardown } from './teardown.js'

/** A fresh SQLite database in a temporary folder, closed when the test ends. */
export function sqliteDatabase(t: Teardown, folder = tempDir(t)): Database {
  const db = new SqliteDatabase(join(folder, 'login.sqlite'))
  t.teardown(() => db.close())
  return db
}

/** The key ring of a database, as a server opens it (`runDir`: where an older server may have left key files). */
export function openKeys(db: Database, now: number, runDir = '/nonexistent'): Promise<KeyRing> {
  return KeyRing.open(db, new SigningKeyStore(db), new RevocationStore(db), runDir, now)
}
