import { errors } from '../errors.js'

/**
 * `<provider>:<provider user id>`, the way the CLI and apps name an account
 * before it has signed in (docs/operating.md, "CLI"), split at the first colon after
 * the provider (OpenID Connect providers are `oidc:<name>`).
 */
export function parseIdentity(text: string | undefined): { provider: string; providerUserId: string } {
  const match = /^(oidc:[^:]+|[^:]+):(.+)$/.exec(text ?? '')
  if (!match)
    throw new errors.BadRequest(
      `expected <provider>:<provider user id>, such as test:alice, got ${JSON.stringify(text ?? '')}`,
    )
  return { provider: match[1]!, providerUserId: match[2]! }
}
