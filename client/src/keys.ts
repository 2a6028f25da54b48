import { importJWK, type JWK } from 'jose'
import type { KeyObject } from 'node:crypto'

type VerificationKey = KeyObject | CryptoKey | Uint8Array

/** Unknown `kid`s trigger a re-fetch at most this often, so forged tokens cannot hammer the login server. */
const REFETCH_COOLDOWN_MS = 1_000

/**
 * The login server's public lease keys, by `kid`: fetched from
 * `/login/.well-known/jwks.json` once, again when a token names a key not
 * seen yet (at most every few seconds), and replaced outright when the
 * server pushes `keys`.
 */
export class KeySet {
  private keys = new Map<string, VerificationKey>()
  private loaded: Promise<void> | null = null
  private lastFetch = 0
  private refetching: Promise<void> | null = null

  constructor(
    private readonly url: string,
    private readonly timeoutMs: number,
  ) {}

  get size(): number {
    return this.keys.size
  }

  /** The key for `kid`, or undefined. */
  get(kid: string | undefined): VerificationKey | undefined {
    return kid === undefined ? undefined : this.keys.get(kid)
  }

  /** Makes sure a first fetch happened (or is under way). */
  ensure(): Promise<void> {
    this.loaded ??= this.fetch().catch(error => {
      this.loaded = null
      throw error
    })
    return this.loaded
  }

  /**
   * Fetches again, at most once per cooldown: callers arriving during a
   * fetch, or too soon after one, wait for the next one (a new key is then
   * found within a second; forged `kid`s only slow their own requests).
   */
  refetch(): Promise<void> {
    this.refetching ??= (async () => {
      const wait = this.lastFetch + REFETCH_COOLDOWN_MS - Date.now()
      if (wait > 0) await new Promise(resolve => setTimeout(resolve, wait))
      this.loaded = this.fetch()
      await this.loaded
    })().finally(() => {
      this.refetching = null
    })
    return this.refetching
  }

  /** Replaces the keys with a JWKS document (a `keys` push). */
  async replace(jwks: { keys: unknown[] }): Promise<void> {
    const next = new Map<string, VerificationKey>()
    for (const jwk of jwks.keys as JWK[]) {
      if (typeof jwk.kid !== 'string' || jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519') continue
      next.set(jwk.kid, (await importJWK({ ...jwk, alg: 'EdDSA' }, 'EdDSA')) as VerificationKey)
    }
    this.keys = next
  }

  private async fetch(): Promise<void> {
    this.lastFetch = Date.now()
    const response = await fetch(this.url, {
      signal: AbortSignal.timeout(this.timeoutMs),
      headers: { accept: 'application/json' },
    })
    if (!response.ok) throw new Error(`${this.url} answered ${response.status}`)
    const body = (await response.json()) as { keys?: unknown }
    if (!Array.isArray(body.keys)) throw new Error(`${this.url} did not answer a JWKS document`)
    await this.replace({ keys: body.keys })
  }
}
