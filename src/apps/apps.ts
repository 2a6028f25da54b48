import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import type { Clock } from '../clock.js'
import { errors } from '../errors.js'
import type { AppScope } from '../groups/app-scope.js'
import type { RevocationFeed } from '../revocation-feed.js'
import { AppStore, type App, type AppCredentials, type OidcClientSettings } from '../storage/apps.js'
import type { Database } from '../storage/database.js'
import type { RevocationStore } from '../storage/revocations.js'

/** What `app add` prints once: the only time the secret is ever seen. */
export interface IssuedCredentials {
  id: string
  secret: string
}

/** A public OpenID Connect client (a single-page or native app) has no secret: PKCE stands in for it. */
export interface PublicClientCredentials {
  id: string
  secret: null
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

/**
 * The secret is 32 random bytes (256 bits), so nobody can guess it, hashed
 * fast or slow: a slow hash (scrypt) protects low-entropy passwords only,
 * and here it would hand anyone who can open a websocket a way to burn
 * ~50 ms of server CPU per attempt. SHA-256 keeps a stolen database from
 * revealing usable secrets, which is all a hash can do for a random key.
 */
export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest()
}

// Compared against when the app id is unknown, so that the answer takes the same time.
const NO_APP = hashSecret(randomBytes(32).toString('base64url'))

/** What the app service works with: the database, the rules' clock, the log every process tails, and app scopes. */
export interface AppDeps {
  db: Database
  clock: Clock
  revocations: RevocationStore
  feed: RevocationFeed
  scope: Pick<AppScope, 'claim'>
}

/** How an app is registered beyond its name and OpenID Connect settings. */
export interface AppOptions {
  /** An OpenID Connect client may open the realtime channel too (an app without OpenID Connect settings always may). */
  channel?: boolean
  /** Namespaces that do not exist yet, claimed for the app (docs/protocol.md, "Apps are scoped"). */
  namespaces?: string[]
}

/** Registering, listing, removing and authenticating client applications. */
export class AppService {
  private readonly store: AppStore

  constructor(private readonly ctx: AppDeps) {
    this.store = new AppStore(ctx.db)
  }

  /**
   * Registers an app and answers its credentials (the secret is not kept).
   * With OpenID Connect settings (validated by `clientSettings`), it is
   * also a client of the OpenID Provider; a public one gets no secret.
   * Claiming namespaces is part of the registration: when one is refused,
   * nothing is registered.
   */
  add(name: string, oidc?: null, options?: AppOptions): Promise<IssuedCredentials>
  add(
    name: string,
    oidc: OidcClientSettings | null,
    options?: AppOptions,
  ): Promise<IssuedCredentials | PublicClientCredentials>
  async add(
    name: string,
    oidc: OidcClientSettings | null = null,
    options: AppOptions = {},
  ): Promise<IssuedCredentials | PublicClientCredentials> {
    if (typeof name !== 'string' || !NAME.test(name)) {
      throw new errors.BadRequest(
        'an app name is 1 to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit',
      )
    }
    const id = randomUUID()
    // A public client's stored hash is of a secret nobody ever sees: nothing can authenticate as it.
    const secret = randomBytes(32).toString('base64url')
    await this.ctx.db.transaction(async () => {
      if (await this.store.findByName(name)) throw new errors.Conflict(`An app named ${name} already exists`)
      const channel = oidc === null || options.channel === true
      await this.store.insert({
        id,
        name,
        secretHash: hashSecret(secret),
        created: this.ctx.clock.now(),
        oidc,
        channel,
      })
      for (const namespace of new Set(options.namespaces)) await this.ctx.scope.claim(id, namespace)
    })
    return { id, secret: oidc?.public ? null : secret }
  }

  list(): Promise<App[]> {
    return this.store.list()
  }

  find(name: string): Promise<App | undefined> {
    return this.store.findByName(name)
  }

  /** The app with this id and the hash of its secret, as the OpenID Provider authenticates clients. */
  client(id: string): Promise<AppCredentials | undefined> {
    return this.store.credentials(id)
  }

  /**
   * Deletes the app. Its credentials stop working at once, and every
   * server process closes its connections: the removal travels through the
   * revocation log (kind `app`), which each process tails.
   */
  remove(name: string): Promise<App> {
    return this.ctx.db.transaction(async () => {
      const found = await this.require(name)
      await this.store.delete(found.id)
      await this.announce(found.id)
      return found
    })
  }

  /**
   * Lets an OpenID Connect client open the realtime channel too, or stops
   * it (docs/protocol.md, "Apps are scoped"); stopping closes its open
   * connections on every process, as removal does. An app that is no
   * OpenID Connect client always has the channel.
   */
  setChannel(name: string, channel: boolean): Promise<{ app: App; changed: boolean }> {
    return this.ctx.db.transaction(async () => {
      const found = await this.require(name)
      if (!found.oidc && !channel)
        throw new errors.Conflict(`${name} is no OpenID Connect client: the channel is all it has`)
      if (found.channel === channel) return { app: found, changed: false }
      await this.store.setChannel(found.id, channel)
      if (!channel) await this.announce(found.id)
      return { app: { ...found, channel }, changed: true }
    })
  }

  private async require(name: string): Promise<App> {
    const found = await this.store.findByName(name)
    if (!found) throw new errors.NotFound(`No app named ${name}`)
    return found
  }

  /** Every process hears that the app changed (kind `app`) and closes the connections it may no longer have. */
  private async announce(id: string): Promise<void> {
    await this.ctx.revocations.append('app', id, '', this.ctx.clock.now())
    await this.ctx.db.afterCommit(() => this.ctx.feed.poll())
  }

  /** The app with this id as it is now, or undefined once removed. */
  async byId(id: string): Promise<App | undefined> {
    const found = await this.store.credentials(id)
    if (!found) return undefined
    const { secretHash: _hash, ...app } = found
    return app
  }

  /** The app these credentials belong to, or null. Takes the same time whether or not the id exists. */
  async authenticate(id: unknown, secret: unknown): Promise<App | null> {
    if (typeof id !== 'string' || typeof secret !== 'string' || id.length > 100 || secret.length > 200) return null
    const found = await this.store.credentials(id)
    const presented = hashSecret(secret)
    const expected = found?.secretHash.length === 32 ? found.secretHash : NO_APP
    if (!timingSafeEqual(presented, expected) || !found) return null
    const now = this.ctx.clock.now()
    await this.store.seen(found.id, now)
    const { secretHash: _hash, ...app } = found
    return { ...app, lastSeen: now }
  }
}
