import type { Connection } from './connection.js'
import type { MembershipCache } from './membership-cache.js'
import type { GroupExpression } from './protocol.js'
import type { EnsuredNamespace, GrantedMembership, GrantLimits } from './types.js'

/**
 * What an app asks of the access groups over the channel (docs/client-library.md,
 * "Groups from the app"; the predecessor's `ensure_access`, `access_query`,
 * `add_access`, `remove_access`).
 */
export class GroupCalls {
  constructor(
    private readonly connection: Connection,
    private readonly memberships: MembershipCache,
  ) {}

  /**
   * Whether the user holds the expression: a cached answer while fresh (or
   * while the server is unreachable), else one question over the channel,
   * shared by concurrent requests. Throws when it cannot be answered.
   */
  isMember(userId: string, expression: GroupExpression): Promise<boolean> {
    return this.memberships.isMember(userId, expression)
  }

  /**
   * Creates the namespace (or subtree) at `path` with an owner named by
   * `<provider>:<provider user id>` (e.g. `test:127.0.0.1`), who need not
   * have signed in yet; idempotent (the predecessor's `AccessNamespace`).
   */
  async ensure(path: string, owner: string): Promise<EnsuredNamespace> {
    const { type: _type, id: _id, ...result } = await this.connection.request('ensure', { path, owner })
    return result
  }

  /** Grants a user (by id) membership of `path` directly, creating the path; drops that user's cached answers. */
  async grant(user: string, path: string, limits: GrantLimits = {}): Promise<GrantedMembership> {
    const reply = await this.connection.request('grant', { user, path, ...limits })
    this.memberships.changed(user)
    return reply.membership
  }

  /** Ends a membership (with `cascade`, those admitted below it too); answers the ids ended. */
  async remove(membership: string, options: { cascade?: boolean } = {}): Promise<string[]> {
    const cascade = options.cascade ? { cascade: true } : {}
    return (await this.connection.request('remove', { membership, ...cascade })).memberships
  }
}
