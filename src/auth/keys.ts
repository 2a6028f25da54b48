import { exportJWK, generateKeyPair, importJWK, type JWK } from 'jose'
import type { KeyObject } from 'node:crypto'
import { randomUUID } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Config } from '../config.js'
import type { Database } from '../storage/database.js'
import type { RevocationStore } from '../storage/revocations.js'
import type { SigningKeyStore, StoredGeneration } from '../storage/signing-keys.js'
import { leaseCookieMaxAge } from '../signed-in/lease-cookie.js'

/** One generation of signing keys: the Ed25519 lease key, and the keys that sign ID tokens beside it. */
interface KeyGeneration {
  kid: string
  created: number
  /** Set when a newer key took over: published for one lease lifetime, kept for renewals longer (see {@link retiredKeySeconds}). */
  retired: number | null
  privateJwk: JWK
  publicJwk: JWK
  /**
   * The key pairs that sign OpenID Connect ID tokens in this generation
   * (docs/openid-provider.md, "OpenID Provider"): RS256, and Ed25519 for clients that ask for
   * EdDSA, never the lease key, so that an ID token can never pass for a
   * lease. Absent from generations made before the server was an OpenID
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

/** Where servers before the database held their keys (`run/lease-keys.json`): taken over once, so nobody is signed out. */
const LEGACY_FILE = 'lease-keys.json'

async function keyPair(alg: 'EdDSA' | 'RS256', kid = randomUUID()): Promise<KeyPair> {
  const { privateKey, publicKey } =
    alg === 'EdDSA'
      ? await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
      : await generateKeyPair('RS256', { modulusLength: 2048, extractable: true })
  return {
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' },
  }
}

/** RS256 is the algorithm every OpenID relying party supports; EdDSA is for those that ask for it. */
async function newIdTokenKeys(): Promise<NonNullable<KeyGeneration['idToken']>> {
  return { rs256: await keyPair('RS256'), ed25519: await keyPair('EdDSA') }
}

async function newGeneration(now: number): Promise<KeyGeneration> {
  const kid = randomUUID()
  return { kid, created: now, retired: null, ...(await keyPair('EdDSA', kid)), idToken: await newIdTokenKeys() }
}

function toStored(generation: KeyGeneration): StoredGeneration {
  const { kid, created, retired, ...material } = generation
  return { kid, created, retired, material: JSON.stringify(material) }
}

function fromStored(stored: StoredGeneration): KeyGeneration {
  return { kid: stored.kid, created: stored.created, retired: stored.retired, ...JSON.parse(stored.material) }
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
 * The signing keys, kept in the database so that every node signs with the
 * same ones. The newest generation signs; retired keys stay in the JWKS
 * until the leases they signed have expired, and the server keeps
 * verifying them as long as those leases can be renewed, so rotating never
 * signs anybody out. Emits `changed` when the keys it holds changed.
 */
export class KeyRing extends EventEmitter<{ changed: [] }> {
  private constructor(
    private readonly db: Database,
    private readonly store: SigningKeyStore,
    private readonly changes: RevocationStore,
    private keys: KeyGeneration[],
    private signer: SigningKey,
  ) {
    super()
    this.setMaxListeners(0)
  }

  /**
   * The keys in the database; on first start, the ones an older server kept
   * in `run/lease-keys.json`, or else a new generation (whichever node
   * starts first makes it; the others read it). A generation from before
   * the OpenID Provider gains its ID-token keys.
   */
  static async open(
    db: Database,
    store: SigningKeyStore,
    changes: RevocationStore,
    runDir: string,
    now: number,
  ): Promise<KeyRing> {
    await db.transaction(async () => {
      if ((await store.all()).length === 0) {
        const legacy = join(runDir, LEGACY_FILE)
        const generations = existsSync(legacy)
          ? (JSON.parse(readFileSync(legacy, 'utf8')) as KeyGeneration[])
          : [await newGeneration(now)]
        for (const generation of generations) await store.insert(toStored(generation))
      }
      // An RSA key takes a noticeable moment to make: only when the current generation lacks one.
      const current = (await store.all()).map(fromStored).find(k => k.retired === null)
      if (current && !current.idToken) await store.replace(toStored({ ...current, idToken: await newIdTokenKeys() }))
    })
    const keys = (await store.all()).map(fromStored)
    return new KeyRing(db, store, changes, keys, await KeyRing.signerOf(keys))
  }

  private static async signerOf(keys: KeyGeneration[]): Promise<SigningKey> {
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
   * Starts signing with a fresh generation; the old one stays published for
   * one lease lifetime. Generations retired longer ago than `keepSeconds`
   * are dropped. Every node hears of it through the change log and reloads.
   */
  async rotate(now: number, keepSeconds: number): Promise<string> {
    const next = await newGeneration(now)
    await this.db.transaction(async () => {
      await this.store.forgetRetiredBefore(now - keepSeconds)
      await this.store.retireCurrent(now)
      await this.store.insert(toStored(next))
      await this.changes.append('keys', next.kid, '', now)
    })
    await this.reload()
    return next.kid
  }

  /** Reads the keys again (another node or the CLI may have rotated them); answers whether they changed. */
  async reload(): Promise<boolean> {
    const keys = (await this.store.all()).map(fromStored)
    const signature = (list: KeyGeneration[]) => list.map(k => `${k.kid}:${k.retired}`).join()
    if (signature(keys) === signature(this.keys)) return false
    this.signer = await KeyRing.signerOf(keys)
    this.keys = keys
    this.emit('changed')
    return true
  }

  private retiredWithin(now: number, seconds: number): KeyGeneration[] {
    return this.keys.filter(k => k.retired === null || k.retired + seconds > now)
  }
}
