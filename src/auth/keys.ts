import { exportJWK, generateKeyPair, importJWK, type JWK } from 'jose'
import type { KeyObject } from 'node:crypto'
import { randomUUID } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync, renameSync } from 'node:fs'
import { join } from 'node:path'
import type { Config } from '../config.js'
import { loadOrCreateFile } from '../secrets.js'
import { leaseCookieMaxAge } from './cookie.js'

/** One Ed25519 signing key as kept in `run/lease-keys.json`. */
interface StoredKey {
  kid: string
  created: number
  /** Set when a newer key took over: published for one lease lifetime, kept for renewals longer (see {@link retiredKeySeconds}). */
  retired: number | null
  privateJwk: JWK
  publicJwk: JWK
  /**
   * The key pairs that sign OpenID Connect ID tokens in this generation
   * (README, "OpenID Provider"): RS256, and Ed25519 for clients that ask for
   * EdDSA, never the lease key, so that an ID token can never pass for a
   * lease. Absent from files written before the server was an OpenID
   * Provider; added when they are opened.
   */
  idToken?: { rs256: KeyPair; ed25519: KeyPair }
}

interface KeyPair {
  privateJwk: JWK
  publicJwk: JWK
}

export interface SigningKey {
  kid: string
  privateKey: KeyObject | CryptoKey | Uint8Array
}

const FILE = 'lease-keys.json'

async function newKey(now: number): Promise<StoredKey> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
  const kid = randomUUID()
  return {
    kid,
    created: now,
    retired: null,
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'EdDSA', use: 'sig' },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' },
    idToken: await newIdTokenKeys(),
  }
}

async function idTokenKeyPair(alg: 'EdDSA' | 'RS256'): Promise<KeyPair> {
  const { privateKey, publicKey } =
    alg === 'EdDSA'
      ? await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
      : await generateKeyPair('RS256', { modulusLength: 2048, extractable: true })
  const kid = randomUUID()
  return {
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' },
  }
}

/** RS256 is the algorithm every OpenID relying party supports; EdDSA is for those that ask for it. */
async function newIdTokenKeys(): Promise<NonNullable<StoredKey['idToken']>> {
  return { rs256: await idTokenKeyPair('RS256'), ed25519: await idTokenKeyPair('EdDSA') }
}

/**
 * How long a retired key must still verify leases so that their sessions can
 * renew them: a lease it signed can come back, expired, until the browser
 * drops the cookie holding it, or until the idle timeout ends its session,
 * whichever comes first. Never less than one lease lifetime.
 */
export function retiredKeySeconds(config: Config): number {
  return Math.max(config.leaseSeconds, Math.min(leaseCookieMaxAge(config), config.idleSeconds ?? Infinity))
}

/**
 * The lease signing keys. The newest key signs; retired keys stay in the
 * JWKS until the leases they signed have expired, and the server keeps
 * verifying them as long as those leases can be renewed, so rotating never
 * signs anybody out.
 */
export class KeyRing {
  private constructor(
    private readonly runDir: string,
    private keys: StoredKey[],
    private signer: SigningKey,
  ) {}

  /** Loads `run/lease-keys.json`, generating the first key pair (mode 0600) when absent. */
  static async open(runDir: string, now: number): Promise<KeyRing> {
    // An RSA key takes a noticeable moment to generate: only when the file is missing.
    const first = existsSync(join(runDir, FILE)) ? '' : JSON.stringify([await newKey(now)])
    const keys = JSON.parse(loadOrCreateFile(runDir, FILE, () => first)) as StoredKey[]
    const ring = new KeyRing(runDir, keys, await KeyRing.signerOf(keys))
    // A file from before the OpenID Provider: its current generation gains an ID-token key.
    const current = keys.find(k => k.retired === null)
    if (current && !current.idToken) {
      current.idToken = await newIdTokenKeys()
      ring.save()
    }
    return ring
  }

  private static async signerOf(keys: StoredKey[]): Promise<SigningKey> {
    const current = keys.find(k => k.retired === null) ?? keys[keys.length - 1]!
    return { kid: current.kid, privateKey: await importJWK(current.privateJwk, 'EdDSA') }
  }

  get signing(): SigningKey {
    return this.signer
  }

  /** The public keys an unexpired lease may be verified with, as a JWKS document (published to apps). */
  jwks(now: number, leaseSeconds: number): { keys: JWK[] } {
    return { keys: this.retiredWithin(now, leaseSeconds).map(k => k.publicJwk) }
  }

  /** The public keys the server verifies leases with, expired ones coming back for renewal included. */
  verifying(now: number, keepSeconds: number): { keys: JWK[] } {
    return { keys: this.retiredWithin(now, keepSeconds).map(k => k.publicJwk) }
  }

  /**
   * The private ID-token keys of the published generations, for the OpenID
   * Provider, newest first: it signs with the first key of the algorithm a
   * client uses, verifies `id_token_hint`s with any of them, and publishes
   * their public halves at its own `jwks_uri` (never beside the lease keys,
   * which every Ed25519 key there would pass for).
   */
  providerJwks(now: number, leaseSeconds: number): JWK[] {
    return this.retiredWithin(now, leaseSeconds)
      .reverse()
      .flatMap(k => (k.idToken ? [k.idToken.rs256.privateJwk, k.idToken.ed25519.privateJwk] : []))
  }

  /**
   * Starts signing with a fresh key; the old one stays published for one
   * lease lifetime. Keys retired longer ago than `keepSeconds` are dropped.
   */
  async rotate(now: number, keepSeconds: number): Promise<string> {
    const next = await newKey(now)
    const kept = this.retiredWithin(now, keepSeconds).map(k => (k.retired === null ? { ...k, retired: now } : k))
    this.keys = [...kept, next]
    this.save()
    this.signer = await KeyRing.signerOf(this.keys)
    return next.kid
  }

  private save(): void {
    const path = join(this.runDir, FILE)
    writeFileSync(`${path}.tmp`, JSON.stringify(this.keys), { mode: 0o600 })
    renameSync(`${path}.tmp`, path)
  }

  /**
   * Re-reads `run/lease-keys.json`, which another process (`modular-login
   * keys rotate`) may have rewritten; answers whether the keys changed.
   */
  async reload(): Promise<boolean> {
    const keys = JSON.parse(readFileSync(join(this.runDir, FILE), 'utf8')) as StoredKey[]
    const signature = (list: StoredKey[]) => list.map(k => `${k.kid}:${k.retired}`).join()
    if (signature(keys) === signature(this.keys)) return false
    this.signer = await KeyRing.signerOf(keys)
    this.keys = keys
    return true
  }

  private retiredWithin(now: number, seconds: number): StoredKey[] {
    return this.keys.filter(k => k.retired === null || k.retired + seconds > now)
  }
}
