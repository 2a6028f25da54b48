import type { AdapterPayload, Provider } from 'oidc-provider'
import { timingSafeEqual } from 'node:crypto'
import { hashSecret } from '../apps/apps.js'
import type { AppCredentials } from '../storage/apps.js'

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'

/**
 * The client an app is, in oidc-provider's terms. Everything is fixed by
 * the admin at `app add` (apps are first-party, there is no dynamic
 * registration): the code flow with exact redirect URIs and answers in the
 * query only, for an app with redirect URIs; the device grant for one
 * registered with `--device`. An app with neither may still authenticate,
 * to ask about tokens at the introspection endpoint (a resource server):
 * it gets no grant of any kind.
 */
export function clientMetadata(app: AppCredentials | undefined): AdapterPayload | undefined {
  if (!app) return undefined
  const secret = {
    token_endpoint_auth_method: 'client_secret_basic' as const,
    client_secret: app.secretHash.toString('hex'),
  }
  const oidc = app.oidc
  if (!oidc)
    return {
      client_id: app.id,
      client_name: app.name,
      grant_types: [],
      response_types: [],
      redirect_uris: [],
      ...secret,
    }
  const code = oidc.redirectUris.length > 0
  return {
    client_id: app.id,
    client_name: app.name,
    application_type: 'web',
    grant_types: [
      ...(code ? ['authorization_code'] : []),
      ...(oidc.device ? [DEVICE_CODE_GRANT] : []),
      'refresh_token',
    ],
    response_types: code ? ['code'] : [],
    response_modes: ['query'],
    redirect_uris: oidc.redirectUris,
    post_logout_redirect_uris: oidc.postLogoutRedirectUris,
    id_token_signed_response_alg: oidc.idTokenAlg,
    // The hash of the secret, which is all the server keeps: see `compareHashedSecrets`.
    ...(oidc.public ? { token_endpoint_auth_method: 'none' } : secret),
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
