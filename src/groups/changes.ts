import type { NamespaceAccess } from '../storage/revocations.js'
import { namespaceOf } from './group-paths.js'
import type { GroupDeps } from './group-deps.js'

/**
 * Logs that a membership of a user changed — added (accepted, granted, an
 * owner ensured), ended (removed, left, the account deleted) or expired —
 * in the log that every server process tails and pushes to the apps that
 * manage or may read its namespace (docs/protocol.md, "Pushed by the server"), so
 * that no app keeps a stale answer for that user. Call inside the
 * transaction that made the change; call `deps.announce()` once it has
 * committed.
 */
export async function logMembershipChange(
  deps: GroupDeps,
  membership: { id: string; userId: string; path: string },
  now: number,
): Promise<void> {
  await deps.revocations.append('membership', membership.id, membership.userId, now, {
    namespace: namespaceOf(membership.path),
  })
}

/**
 * Logs what an app may now do in a namespace (null: nothing), so that every
 * server process pushes that namespace's changes to the app's connections,
 * or stops, in the log's order. Same transaction and announcement as above.
 */
export async function logScopeChange(
  deps: GroupDeps,
  appId: string,
  namespace: string,
  access: NamespaceAccess | null,
  now: number,
): Promise<void> {
  await deps.revocations.append('scope', appId, '', now, { namespace, access })
}
