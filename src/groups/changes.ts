import type { GroupDeps } from './group-deps.js'

/**
 * Logs that a membership of a user changed — added (accepted, granted, an
 * owner ensured), ended (removed, left, the account deleted) or expired —
 * in the log that every server process tails and pushes to connected apps
 * (docs/protocol.md, "Pushed by the server"), so that no app keeps a stale answer
 * for that user. Call inside the transaction that made the change; call
 * `deps.announce()` once it has committed.
 */
export async function logMembershipChange(
  deps: GroupDeps,
  membership: { id: string; userId: string },
  now: number,
): Promise<void> {
  await deps.revocations.append('membership', membership.id, membership.userId, now)
}
