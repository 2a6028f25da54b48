import { fetchJson } from './fetch-json.js'
import { providerUrlProblem } from './provider-url.js'

/** What this server needs from an OpenID provider's configuration document. */
export interface OidcMetadata {
  /** Exactly as the provider writes it: ID tokens must carry this `iss`. */
  issuer: string
  authorizationEndpoint: string
  tokenEndpoint: string
  userinfoEndpoint: string | null
  jwksUri: string
  /** How the client secret reaches the token endpoint. */
  tokenAuth: 'header' | 'body'
  /** ID token signature algorithms to accept. */
  algorithms: string[]
}

function endpoint(document: Record<string, unknown>, field: string): string {
  const value = document[field]
  if (typeof value !== 'string') throw new Error(`its configuration has no ${field}`)
  const problem = providerUrlProblem(value)
  if (problem) throw new Error(`its ${field} ${problem}`)
  return value
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []
}

/**
 * Fetches `<issuer>/.well-known/openid-configuration` (OpenID Connect
 * Discovery 1.0) within `timeoutMs`. Throws an Error whose message says
 * what is wrong, for the caller to attach to the provider's name.
 */
export async function discover(issuer: string, timeoutMs: number): Promise<OidcMetadata> {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`
  const result = await fetchJson(url, {}, timeoutMs)
  if (!result.ok) throw new Error(`discovery at ${url} ${result.reason}`)
  const document = result.body
  if (typeof document !== 'object' || document === null)
    throw new Error(`discovery at ${url} answered something other than an object`)
  const doc = document as Record<string, unknown>

  // Discovery §4.3: the document must be the issuer's own. A trailing slash
  // is forgiven so that a configured `https://idp/` finds `https://idp`.
  if (typeof doc.issuer !== 'string' || doc.issuer.replace(/\/$/, '') !== issuer.replace(/\/$/, '')) {
    throw new Error(`discovery at ${url} names another issuer: ${JSON.stringify(doc.issuer)}`)
  }
  const auth = strings(doc.token_endpoint_auth_methods_supported)
  // client_secret_basic is the default (Discovery §3); use the form only when the provider says basic is unsupported.
  const tokenAuth = auth.includes('client_secret_post') && !auth.includes('client_secret_basic') ? 'body' : 'header'
  // Asymmetric signatures only: the JWKS holds public keys, and `none` or HMAC (keyed by the client secret) are refused.
  const algorithms = strings(doc.id_token_signing_alg_values_supported).filter(
    alg => alg !== 'none' && !alg.startsWith('HS'),
  )
  return {
    issuer: doc.issuer,
    authorizationEndpoint: endpoint(doc, 'authorization_endpoint'),
    tokenEndpoint: endpoint(doc, 'token_endpoint'),
    userinfoEndpoint: doc.userinfo_endpoint === undefined ? null : endpoint(doc, 'userinfo_endpoint'),
    jwksUri: endpoint(doc, 'jwks_uri'),
    tokenAuth,
    algorithms: algorithms.length > 0 ? algorithms : ['RS256'],
  }
}
