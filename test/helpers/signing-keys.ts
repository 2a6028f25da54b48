import { generateKeyPairSync, randomUUID } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { repoPath } from './repo.js'
import type { Teardown } from './teardown.js'
import { tempDir } from './temp-dir.js'

interface Jwk {
  [member: string]: unknown
}

/** An RSA key pair made once and kept under test/fixtures: making one costs 130–580 ms, per test server. */
const rs256 = JSON.parse(readFileSync(repoPath('test', 'fixtures', 'id-token-rs256.json'), 'utf8')) as {
  privateJwk: Jwk
  publicJwk: Jwk
}

/** A fresh Ed25519 key pair (a fraction of a millisecond), as src/auth/keys.ts stores one. */
function ed25519(kid: string): { privateJwk: Jwk; publicJwk: Jwk } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  const meta = { kid, alg: 'EdDSA', use: 'sig' }
  return {
    privateJwk: { ...privateKey.export({ format: 'jwk' }), ...meta },
    publicJwk: { ...publicKey.export({ format: 'jwk' }), ...meta },
  }
}

/**
 * Gives a test server's run/ folder its signing keys before its first start, as `lease-keys.json` (where
 * servers before the database kept them; the first start takes them over, see src/auth/keys.ts): a lease
 * key of its own, so that no two test servers trust each other's leases, and the pre-made RSA key for ID
 * tokens. Rotating keys (`keys rotate`) still makes new ones.
 */
function seedSigningKeys(runDir: string): void {
  const kid = randomUUID()
  const generation = {
    kid,
    created: Math.floor(Date.now() / 1000),
    retired: null,
    ...ed25519(kid),
    idToken: { rs256, ed25519: ed25519(randomUUID()) },
  }
  writeFileSync(join(runDir, 'lease-keys.json'), JSON.stringify([generation]), { mode: 0o600 })
}

/** A temporary run/ folder (removed when the test ends) holding signing keys made in advance ({@link seedSigningKeys}). */
export function runDirWithKeys(t: Teardown): string {
  const runDir = tempDir(t)
  seedSigningKeys(runDir)
  return runDir
}
