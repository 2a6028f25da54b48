import type { ProviderProfile } from './profile-fields.js'

/** What the token endpoint gave back that the profile step uses. */
export interface TokenSet {
  accessToken: string
  /** The OpenID Connect ID token, when the provider sent one. */
  idToken: string | null
}

/** What an authorization request carries besides the client's own settings. */
export interface AuthorizationRequest {
  state: string
  /** PKCE S256 code challenge of the flow's verifier. */
  challenge: string
  nonce: string
}

/**
 * A configured OAuth provider, preset or OpenID Connect: the three steps of
 * the authorization-code flow that differ between providers. State, PKCE
 * verifier and nonce belong to the flow (`auth/oauth-flows.ts`), not here.
 */
export interface OAuthProvider {
  /** Identity provider name: `google`, `oidc:<name>`. */
  readonly id: string
  /** Button text. */
  readonly label: string
  /** Path below `/login`: `google`, `oidc/<name>`. */
  readonly path: string
  /** The callback URL, as registered at the provider. */
  readonly redirectUri: string
  authorizationUrl(request: AuthorizationRequest): string
  /** Exchanges the authorization code; failures are LOGIN_ERR_PROVIDER. */
  exchange(code: string, verifier: string): Promise<TokenSet>
  /** Who signed in; failures are LOGIN_ERR_PROVIDER. */
  profile(tokens: TokenSet, nonce: string): Promise<ProviderProfile>
}
