import type { Database } from './database.js'

/** How an app signs people in as an OpenID Connect client (docs/openid-provider.md, "OpenID Provider"). */
export interface OidcClientSettings {
  /** Exact URLs the authorization code may be sent to; none for a client that signs in by device only. */
  redirectUris: string[]
  /** Exact URLs RP-initiated logout may return to. */
  postLogoutRedirectUris: string[]
  /** Where back-channel logout tokens are POSTed; null for none. */
  backchannelLogoutUri: string | null
  /** A public client (single-page or native app): no secret, PKCE required. */
  public: boolean
  /** A group expression (text form) a user must hold to sign in to the app; null for anyone. */
  require: string | null
  /** How its ID tokens are signed. */
  idTokenAlg: 'RS256' | 'EdDSA'
  /** It may sign people in with the device authorization grant (RFC 8628). */
  device: boolean
}

/** A client application registered with `modular-login app add`. */
export interface App {
  id: string
  name: string
  created: number
  /** Last successful authentication on the realtime channel; null when never. */
  lastSeen: number | null
  /** Its OpenID Connect client settings; null for an app with neither a redirect URI nor device sign-in. */
  oidc: OidcClientSettings | null
  /**
   * Whether it may open the realtime channel: always without OpenID Connect
   * settings, only when registered with `--channel` with them.
   */
  channel: boolean
}

/** An app with the hash of its secret, for verification only. */
export interface AppCredentials extends App {
  secretHash: Buffer
}

interface AppRow extends Omit<App, 'oidc' | 'channel'> {
  redirectUris: string
  postLogoutRedirectUris: string
  backchannelLogoutUri: string | null
  public: number
  require: string | null
  idTokenAlg: OidcClientSettings['idTokenAlg']
  device: number
  channel: number
}

const COLUMNS = `id, name, created, last_seen AS "lastSeen", redirect_uris AS "redirectUris",
  post_logout_redirect_uris AS "postLogoutRedirectUris", backchannel_logout_uri AS "backchannelLogoutUri",
  "public", "require", id_token_alg AS "idTokenAlg", device, channel`

function toApp(row: AppRow & { secretHash: Buffer }): AppCredentials
function toApp(row: AppRow): App
function toApp(row: AppRow & { secretHash?: Buffer }): App {
  const {
    redirectUris,
    postLogoutRedirectUris,
    backchannelLogoutUri,
    public: isPublic,
    require,
    idTokenAlg,
    device,
    channel,
    ...app
  } = row
  const uris = JSON.parse(redirectUris) as string[]
  const oidc =
    uris.length === 0 && device !== 1
      ? null
      : {
          redirectUris: uris,
          postLogoutRedirectUris: JSON.parse(postLogoutRedirectUris) as string[],
          backchannelLogoutUri,
          public: isPublic === 1,
          require,
          idTokenAlg,
          device: device === 1,
        }
  return { ...app, oidc, channel: channel === 1 }
}

/** Client applications and the hashes of their secrets. */
export class AppStore {
  constructor(private readonly db: Database) {}

  async insert(app: {
    id: string
    name: string
    secretHash: Buffer
    created: number
    oidc: OidcClientSettings | null
    channel: boolean
  }): Promise<void> {
    const { oidc } = app
    await this.db.sql.run(
      `INSERT INTO apps (id, name, secret_hash, created, redirect_uris, post_logout_redirect_uris,
         backchannel_logout_uri, "public", "require", id_token_alg, device, channel)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        app.id,
        app.name,
        app.secretHash,
        app.created,
        JSON.stringify(oidc?.redirectUris ?? []),
        JSON.stringify(oidc?.postLogoutRedirectUris ?? []),
        oidc?.backchannelLogoutUri ?? null,
        oidc?.public ?? false,
        oidc?.require ?? null,
        oidc?.idTokenAlg ?? 'RS256',
        oidc?.device ?? false,
        app.channel,
      ],
    )
  }

  /** The app and its secret hash, for checking credentials. */
  async credentials(id: string): Promise<AppCredentials | undefined> {
    const row = await this.db.sql.one<AppRow & { secretHash: Buffer }>(
      `SELECT ${COLUMNS}, secret_hash AS "secretHash" FROM apps WHERE id = ?`,
      [id],
    )
    return row && toApp(row)
  }

  async findByName(name: string): Promise<App | undefined> {
    const row = await this.db.sql.one<AppRow>(`SELECT ${COLUMNS} FROM apps WHERE name = ?`, [name])
    return row && toApp(row)
  }

  async list(): Promise<App[]> {
    return (await this.db.sql.all<AppRow>(`SELECT ${COLUMNS} FROM apps ORDER BY name`)).map(row => toApp(row))
  }

  /** Deletes the app; answers whether it existed. */
  async delete(id: string): Promise<boolean> {
    return (await this.db.sql.run('DELETE FROM apps WHERE id = ?', [id])) > 0
  }

  /** Lets the app open the realtime channel or stops it; answers whether the app exists. */
  async setChannel(id: string, channel: boolean): Promise<boolean> {
    return (await this.db.sql.run('UPDATE apps SET channel = ? WHERE id = ?', [channel ? 1 : 0, id])) > 0
  }

  async seen(id: string, now: number): Promise<void> {
    await this.db.sql.run('UPDATE apps SET last_seen = ? WHERE id = ?', [now, id])
  }
}
