import type { AdapterPayload, Provider } from 'oidc-provider'
import { timingSafeEqual } from 'node:crypto'
import { hashSecret } from '../apps/apps.js'
import type { AppCredentials } from '../storage/apps.js'

/**
 * The OpenID Connect client an app is, in oidc-provider's terms; undefined
 * for an app without a redirect URI. Everything is fixed by the admin at
 * `app add` (apps are first-party, there is no dynamic registration): code
 * flow only, answers in the query only, exact redirect URIs.
 */
export function clientMetadata(app: AppCredentials | undefined): AdapterPayload | undefined {
  const oidc = app?.oidc
  if (!app || !oidc) return undefined
  return {
    client_id: app.id,
    client_name: app.name,
    application_type: 'web',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    response_modes: ['query'],
    redirect_uris: oidc.redirectUris,
    post_logout_redirect_uris: oidc.postLogoutRedirectUris,
    id_token_signed_response_alg: oidc.idTokenAlg,
    ...(oidc.public
      ? { token_endpoint_auth_method: 'none' }
      : // The hash of the secret, which is all the server keeps: see `compareHashedSecrets`.
        { token_endpoint_auth_method: 'client_secret_basic', client_secret: app.secretHash.toString('hex') }),
    ...(oidc.backchannelLogoutUri === null
      ? {}
      : { backchannel_logout_uri: oidc.backchannelLogoutUri, backchannel_logout_session_required: true }),
  }
}

/**
 * Client secrets are kept as SHA-256 hashes (docs/client-library.md,
 * "Registering an application"), so a client's `client_secret` is that hash and the secret a
 * client presents is hashed before the constant-time comparison.
 * oidc-provider exposes `compareClientSecret` on its Client model for this
 * (it then cannot use the secret as a key, which this server never asks it
 * to: no HMAC algorithm is enabled).
 */
export function compareHashedSecrets(provider: Provider): void {
  provider.Client.prototype.compareClientSecret = function (this: { clientSecret?: string }, actual: string) {
    const expected = Buffer.from(this.clientSecret ?? '', 'hex')
    return expected.length === 32 && timingSafeEqual(hashSecret(actual), expected)
  }
}
