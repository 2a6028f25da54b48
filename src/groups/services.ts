import type { Clock } from '../clock.js'
import { AppNamespaceStore } from '../storage/app-namespaces.js'
import type { Db } from '../storage/db.js'
import { GroupEventStore } from '../storage/group-events.js'
import { GroupStore } from '../storage/groups.js'
import { InvitationStore } from '../storage/invitations.js'
import { MembershipStore } from '../storage/memberships.js'
import type { RevocationStore } from '../storage/revocations.js'
import type { UserStore } from '../storage/users.js'
import { AppScope } from './app-scope.js'
import type { GroupEnv } from './env.js'
import { GroupEventLog } from './events.js'
import { InvitationService } from './invitations.js'
import { MembershipService } from './membership.js'
import { RemovalService } from './removal.js'
import { GroupTree } from './tree.js'

export interface GroupDependencies {
  db: Db
  clock: Clock
  users: UserStore
  revocations: RevocationStore
  /** Validates an invitation `redirect` like `?next=` (throws `LOGIN_ERR_BAD_NEXT`), returning its normalised form. */
  checkRedirect: (raw: string) => string
  /** Called after revocations were committed (the revocation feed's `poll`). */
  revoked?: () => void
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
}

export function createGroupServices(deps: GroupDependencies): GroupServices {
  const env: GroupEnv = {
    db: deps.db,
    clock: deps.clock,
    users: deps.users,
    revocations: deps.revocations,
    groups: new GroupStore(deps.db),
    memberships: new MembershipStore(deps.db),
    invitations: new InvitationStore(deps.db),
    events: new GroupEventStore(deps.db),
    appNamespaces: new AppNamespaceStore(deps.db),
    revoked: deps.revoked ?? (() => {}),
  }
  const tree = new GroupTree(env)
  const membership = new MembershipService(env, tree)
  return {
    tree,
    membership,
    invitations: new InvitationService(env, tree, deps.checkRedirect),
    removal: new RemovalService(env),
    events: new GroupEventLog(env, tree, membership),
    appScope: new AppScope(env),
  }
}
