import { providerUrlProblem } from '../auth/providers/provider-url.js'
import { errors } from '../errors.js'
import { parseExpression } from '../groups/expressions.js'
import type { OidcClientSettings } from '../storage/apps.js'

/** What `app add` was given for the OpenID Connect side of an app, before validation. */
export interface ClientSettingsInput {
  redirectUris?: string[]
  postLogoutRedirectUris?: string[]
  backchannelLogoutUri?: string
  public?: boolean
  require?: string
  idTokenAlg?: string
  device?: boolean
}

const ID_TOKEN_ALGS: readonly OidcClientSettings['idTokenAlg'][] = ['RS256', 'EdDSA']
const MAX_URIS = 20
const MAX_URI_LENGTH = 2000

/**
 * A URI a client registers. Codes and logout tokens travel to it, so it is
 * https, or http on loopback (the rule of provider URLs); it is kept exactly
 * as given, since redirect URIs are compared character for character.
 */
function uri(raw: string, option: string): string {
  // eslint-disable-next-line no-control-regex
  if (raw.length > MAX_URI_LENGTH || /[\s\u0000-\u001f\u007f]/.test(raw)) {
    throw new errors.BadRequest(`${option} must be a URL of at most ${MAX_URI_LENGTH} characters without spaces`)
  }
  const problem = providerUrlProblem(raw)
  if (problem) throw new errors.BadRequest(`${option} ${problem}`)
  return raw
}

function uris(list: string[] | undefined, option: string): string[] {
  const unique = [...new Set(list ?? [])]
  if (unique.length > MAX_URIS) throw new errors.BadRequest(`at most ${MAX_URIS} ${option} values`)
  return unique.map(raw => uri(raw, option))
}

/**
 * Validates the OpenID Connect settings of an app; null when none were
 * given (an app for the realtime channel only). A redirect URI, or device
 * sign-in, is what makes an app an OpenID Connect client; the other options
 * need one of them, and returning after a logout needs a redirect URI (a
 * device has no browser to return to).
 */
export function clientSettings(input: ClientSettingsInput): OidcClientSettings | null {
  const redirectUris = uris(input.redirectUris, '--redirect-uri')
  const device = input.device === true
  const others = [input.backchannelLogoutUri, input.public, input.require, input.idTokenAlg]
  if (redirectUris.length === 0 && input.postLogoutRedirectUris?.length) {
    throw new errors.BadRequest('--post-logout-redirect-uri needs at least one --redirect-uri')
  }
  if (redirectUris.length === 0 && !device) {
    if (others.some(Boolean)) {
      throw new errors.BadRequest('OpenID Connect options need at least one --redirect-uri, or --device')
    }
    return null
  }
  const idTokenAlg = input.idTokenAlg ?? 'RS256'
  if (!ID_TOKEN_ALGS.includes(idTokenAlg as OidcClientSettings['idTokenAlg'])) {
    throw new errors.BadRequest(`--id-token-alg must be one of ${ID_TOKEN_ALGS.join(', ')}, got ${idTokenAlg}`)
  }
  const require = input.require?.trim() || null
  // Refused now rather than at every sign-in (LOGIN_ERR_BAD_EXPRESSION names the position).
  if (require !== null) parseExpression(require)
  return {
    redirectUris,
    postLogoutRedirectUris: uris(input.postLogoutRedirectUris, '--post-logout-redirect-uri'),
    backchannelLogoutUri:
      input.backchannelLogoutUri === undefined ? null : uri(input.backchannelLogoutUri, '--backchannel-logout-uri'),
    public: input.public === true,
    require,
    idTokenAlg: idTokenAlg as OidcClientSettings['idTokenAlg'],
    device,
  }
}
