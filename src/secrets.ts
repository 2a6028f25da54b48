import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ServerSecretStore } from './storage/server-secrets.js'

/**
 * A random 32-byte secret that every node shares, kept in the database
 * (base64url); an older server's `run/<name>` file is taken over on first
 * start, so that what it keyed (form tokens) stays valid.
 */
export async function loadOrCreateSecret(
  store: ServerSecretStore,
  runDir: string,
  name: string,
  now: number,
): Promise<Buffer> {
  const legacy = join(runDir, name)
  const create = () =>
    existsSync(legacy) ? readFileSync(legacy, 'utf8').trim() : randomBytes(32).toString('base64url')
  return Buffer.from(await store.loadOrCreate(name, create, now), 'base64url')
}
