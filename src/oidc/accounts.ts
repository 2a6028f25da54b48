import type { Account, AccountClaims, FindAccount } from 'oidc-provider'
import { addressAppsSee } from '../auth/addresses.js'
import type { AppContext } from '../context.js'
import { namespaceOf } from '../groups/group-paths.js'
import type { User } from '../storage/users.js'

/** Where a code or token came from: the login session and the client it was issued to. */
interface IssuedUnder {
  sessionUid?: string | undefined
  clientId?: string | undefined
}

/**
 * The people behind the OpenID Provider: who a `sub` is, what claims a
 * client sees, and whether what was issued to a client still stands.
 */
export class OidcAccounts {
  constructor(
    private readonly ctx: Pick<AppContext, 'users' | 'sessions' | 'access' | 'groups' | 'apps' | 'handles'>,
  ) {}

  /**
   * oidc-provider's `findAccount`. With a code or token (exchanging a code,
   * refreshing, asking for userinfo), the account is found only while the
   * login session it was issued in lives and the user still meets the
   * client's `--require`: otherwise the grant fails (`invalid_grant`,
   * `invalid_token`), however long the token itself had to live.
   */
  readonly find: FindAccount = async (ctx, sub, token) => {
    const user = await this.ctx.users.get(sub)
    if (!user) return undefined
    const issued = token as IssuedUnder | undefined
    const clientId = issued?.clientId ?? ctx.oidc.client?.clientId
    if (issued && !(await this.stands(sub, issued))) return undefined
    return this.account(user, clientId)
  }

  /** Whether the user meets the group expression the client requires (always, when it requires none). */
  async admits(clientId: string | undefined, userId: string): Promise<boolean> {
    const require = clientId === undefined ? null : ((await this.ctx.apps.client(clientId))?.oidc?.require ?? null)
    return require === null || (await this.ctx.access.holds(userId, require))
  }

  /**
   * Whether what was issued to a client in a login session still stands:
   * the session lives, and the user still meets the client's `--require`
   * (what refreshing, userinfo and introspection all ask).
   */
  async stands(userId: string | undefined, issued: IssuedUnder): Promise<boolean> {
    const sid = issued.sessionUid
    if (!sid || !userId) return false
    if (!(await this.ctx.sessions.list(userId)).some(session => session.sid === sid)) {
      // Revoked, or past a timeout nobody acted on yet: revoking (a no-op for the
      // first) ends it everywhere and sends the back-channel logout tokens.
      await this.ctx.sessions.revoke(sid)
      return false
    }
    return this.admits(issued.clientId, userId)
  }

  /**
   * The `groups` claim: the paths of the user's current memberships inside
   * the namespaces the client manages (created, claimed, or `app allow`ed on;
   * not those it may only read), never
   * others, so that a role mapping or team sync learns nothing else.
   */
  async groupsFor(userId: string, clientId: string): Promise<string[]> {
    const namespaces = await this.ctx.groups.appScope.managedBy(clientId)
    if (namespaces.size === 0) return []
    const paths = (await this.ctx.groups.membership.current(userId)).map(m => m.path)
    return [...new Set(paths.filter(path => namespaces.has(namespaceOf(path))))].sort()
  }

  /**
   * The claims of the `profile` and `email` scopes besides the name and
   * picture (docs/openid-provider.md, "Claims"): the handle, given now to an
   * account that has none yet (made before handles were), and the address
   * the person picked among those vouched for; an absent one is left out,
   * never made up.
   */
  private async contactClaims(user: User, scopes: Set<string>): Promise<Omit<AccountClaims, 'sub'>> {
    const contact = await this.ctx.users.contact(user.id)
    if (!contact) return {}
    const handle = contact.handle ?? (await this.ctx.handles.ensure(user.id, user.name))
    const email = addressAppsSee(contact)
    return {
      ...(scopes.has('profile') && handle && { preferred_username: handle }),
      ...(scopes.has('email') && email !== null && { email, email_verified: true }),
    }
  }

  private account(user: User, clientId: string | undefined): Account {
    return {
      accountId: user.id,
      // oidc-provider keeps only the claims of the scopes granted; this only avoids looking things up for nothing.
      claims: async (_use, scope): Promise<AccountClaims> => {
        const scopes = new Set(scope.split(' '))
        return {
          sub: user.id,
          ...(scopes.has('profile') && { name: user.name, ...(user.picture && { picture: user.picture }) }),
          ...((scopes.has('profile') || scopes.has('email')) && (await this.contactClaims(user, scopes))),
          ...(scopes.has('groups') && clientId !== undefined && { groups: await this.groupsFor(user.id, clientId) }),
        }
      },
    }
  }
}
