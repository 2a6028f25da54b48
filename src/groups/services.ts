import type { Clock } from '../clock.js'
import { AppNamespaceStore } from '../storage/app-namespaces.js'
import type { Database } from '../storage/database.js'
import { GroupEventStore } from '../storage/group-events.js'
import { GroupStore } from '../storage/groups.js'
import { InvitationStore } from '../storage/invitations.js'
import { MembershipStore } from '../storage/memberships.js'
import type { RevocationStore } from '../storage/revocations.js'
import type { UserStore } from '../storage/users.js'
import { AppScope } from './app-scope.js'
import type { GroupDeps } from './group-deps.js'
import { GroupEventLog } from './events.js'
import { MembershipExpiry } from './expiry.js'
import { InvitationService } from './invitations.js'
import { MembershipService } from './membership.js'
import { RemovalService } from './removal.js'
import { GroupTree } from './tree.js'

export interface GroupServiceOptions {
  db: Database
  clock: Clock
  users: UserStore
  revocations: RevocationStore
  /** Validates an invitation `redirect` like `?next=` (throws `LOGIN_ERR_BAD_NEXT`), returning its normalised form. */
  checkRedirect: (raw: string) => string
  /** Called after changes were logged and committed (the revocation feed's `poll`). */
  announce?: () => Promise<void>
}

/** The access-group area's services, as the app context, the realtime channel and the CLI use them. */
export interface GroupServices {
  tree: GroupTree
  membership: MembershipService
  invitations: InvitationService
  removal: RemovalService
  events: GroupEventLog
  /** Which namespaces each client application manages. */
  appScope: AppScope
  /** Announces memberships as they expire (every process runs `sweep` now and then). */
  expiry: MembershipExpiry
}

export function createGroupServices(options: GroupServiceOptions): GroupServices {
  const deps: GroupDeps = {
    db: options.db,
    clock: options.clock,
    users: options.users,
    revocations: options.revocations,
    groups: new GroupStore(options.db),
    memberships: new MembershipStore(options.db),
    invitations: new InvitationStore(options.db),
    events: new GroupEventStore(options.db),
    appNamespaces: new AppNamespaceStore(options.db),
    announce: options.announce ?? (() => Promise.resolve()),
  }
  const tree = new GroupTree(deps)
  const membership = new MembershipService(deps, tree)
  return {
    tree,
    membership,
    invitations: new InvitationService(deps, tree, options.checkRedirect),
    removal: new RemovalService(deps),
    events: new GroupEventLog(deps, tree, membership),
    appScope: new AppScope(deps),
    expiry: new MembershipExpiry(deps),
  }
}
