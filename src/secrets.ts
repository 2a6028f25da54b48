import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * Reads `run/<name>`, or creates it with `create()` on first start. Written
 * to a temporary file with mode 0600 and renamed, so two processes starting
 * together never read a half-written secret.
 */
export function loadOrCreateFile(runDir: string, name: string, create: () => string): string {
  const path = join(runDir, name)
  if (!existsSync(path)) {
    mkdirSync(runDir, { recursive: true, mode: 0o700 })
    const temporary = `${path}.${process.pid}.tmp`
    writeFileSync(temporary, create(), { mode: 0o600 })
    chmodSync(temporary, 0o600)
    // link() refuses to replace an existing file, atomically: when two
    // processes start together, the first to land wins and both read it.
    try {
      linkSync(temporary, path)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    } finally {
      unlinkSync(temporary)
    }
  }
  // A file an older version (or a wider umask) left readable becomes private again.
  chmodSync(path, 0o600)
  return readFileSync(path, 'utf8')
}

/** A random 32-byte server secret kept under `run/` (base64url). */
export function loadOrCreateSecret(runDir: string, name: string): Buffer {
  return Buffer.from(loadOrCreateFile(runDir, name, () => randomBytes(32).toString('base64url')).trim(), 'base64url')
}
