import { errors } from '../errors.js'
import type { GroupEvent } from '../storage/group-events.js'
import type { GroupDeps } from './group-deps.js'
import type { MembershipService } from './membership.js'
import { descendantRange } from './group-paths.js'
import type { GroupTree } from './tree.js'

export const DEFAULT_PAGE = 100
export const MAX_PAGE = 500

/** Reading the audit log: the events of a group and its subgroups, for users with power 2 over it. */
export class GroupEventLog {
  constructor(
    private readonly deps: GroupDeps,
    private readonly tree: GroupTree,
    private readonly membership: MembershipService,
  ) {}

  /** Newest first; `before` (an event id) pages back. */
  async read(userId: string, ref: string, page: { before?: number; limit?: number } = {}): Promise<GroupEvent[]> {
    const group = await this.tree.find(ref)
    // A group that does not exist and one the caller may not read answer alike: nobody learns which groups exist.
    if (!group || ((await this.membership.powerOver(userId, group.path)) ?? 0) < 2) {
      throw new errors.NotFound(
        `No group ${JSON.stringify(ref.slice(0, 200))} whose log you may read (that needs power 2 over it)`,
      )
    }
    const limit = Math.min(page.limit ?? DEFAULT_PAGE, MAX_PAGE)
    return this.deps.events.list(group.path, descendantRange(group.path), page.before ?? Number.MAX_SAFE_INTEGER, limit)
  }
}
