import { errors } from '../errors.js'
import type { User, UserStore } from '../storage/users.js'

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

const USER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Whether the CLI was given an account's id (what `/login/me` and apps see) rather than a provider identity. */
export function isUserId(text: string): boolean {
  return USER_ID.test(text)
}

/**
 * The existing account the CLI names by its id (the only name of an account
 * made with a passkey, docs/passkeys.md) or by `<provider>:<provider user id>`.
 */
export async function findAccount(users: Pick<UserStore, 'get' | 'findByIdentity'>, who: string): Promise<User> {
  if (isUserId(who)) {
    const user = await users.get(who.toLowerCase())
    if (!user) throw new errors.NotFound(`no account has the id ${who}`)
    return user
  }
  const { provider, providerUserId } = parseIdentity(who)
  const user = await users.findByIdentity(provider, providerUserId)
  if (!user) throw new errors.NotFound(`no account signs in as ${provider}:${providerUserId}`)
  return user
}
