import type { Clock } from '../clock.js'
import type { AppNamespaceStore } from '../storage/app-namespaces.js'
import type { Database } from '../storage/database.js'
import type { GroupEventStore } from '../storage/group-events.js'
import type { GroupStore } from '../storage/groups.js'
import type { InvitationStore } from '../storage/invitations.js'
import type { MembershipStore } from '../storage/memberships.js'
import type { RevocationStore } from '../storage/revocations.js'
import type { UserStore } from '../storage/users.js'

/** What every group service works with: the database, the time, and the repositories. */
export interface GroupDeps {
  db: Database
  clock: Clock
  users: UserStore
  revocations: RevocationStore
  groups: GroupStore
  memberships: MembershipStore
  invitations: InvitationStore
  events: GroupEventStore
  appNamespaces: AppNamespaceStore
  /**
   * Called after a transaction that appended to the change log (revocations
   * and membership changes) has committed, so that this process announces
   * them at once instead of at its next poll. Resolves once this process
   * has read them (its remembered membership answers forgotten).
   */
  announce(): Promise<void>
}
