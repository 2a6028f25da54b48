import type { Membership } from '../storage/memberships.js'
import { logMembershipChange } from './changes.js'
import type { GroupDeps } from './group-deps.js'

export interface Ending {
  kind: 'member_removed' | 'member_left'
  /** Who did it; null for an app or the CLI. */
  actorId: string | null
  /** Why, for the audit log: `revoked`, `cascade`, `left`, `account deleted`, ... */
  reason: string
}

/**
 * Ends a membership: marks it inactive, appends it to the revocation log
 * (which connected apps are pushed), cancels the pending invitations it
 * created, and logs both. Must run inside the caller's transaction, which
 * must call `deps.announce()` after committing. Answers false when it was
 * already inactive.
 */
export async function endMembership(
  deps: GroupDeps,
  membership: Membership,
  ending: Ending,
  now: number,
): Promise<boolean> {
  if (!(await deps.memberships.deactivate(membership.id, now))) return false
  await logMembershipChange(deps, membership, now)
  for (const invitation of await deps.invitations.activeCreatedBy(membership.id)) {
    await deps.invitations.deactivate(invitation.id)
    await deps.events.append({
      groupId: invitation.groupId,
      kind: 'invitation_cancelled',
      actorId: ending.actorId,
      invitationId: invitation.id,
      membershipId: membership.id,
      created: now,
      detail: { reason: 'inviter removed' },
    })
  }
  await deps.events.append({
    groupId: membership.groupId,
    kind: ending.kind,
    actorId: ending.actorId,
    subjectId: membership.userId,
    membershipId: membership.id,
    created: now,
    detail: { reason: ending.reason },
  })
  return true
}

/**
 * Ends `target` and, with `cascade`, every current membership admitted
 * below it through its invitations (and theirs). Owners come through no
 * invitation, so a cascade never reaches one. Answers the ids ended.
 */
export async function endWithCascade(
  deps: GroupDeps,
  target: Membership,
  ending: Ending,
  cascade: boolean,
  now: number,
): Promise<string[]> {
  const ended = (await endMembership(deps, target, ending, now)) ? [target.id] : []
  if (!cascade) return ended
  for (const below of await deps.memberships.currentDescendants(target.id, now)) {
    if (await endMembership(deps, below, { ...ending, reason: 'cascade' }, now)) ended.push(below.id)
  }
  return ended
}
