import type { Membership } from '../storage/memberships.js'
import type { GroupEnv } from './env.js'

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
 * must call `env.revoked()` after committing. Answers false when it was
 * already inactive.
 */
export function endMembership(env: GroupEnv, membership: Membership, ending: Ending, now: number): boolean {
  if (!env.memberships.deactivate(membership.id, now)) return false
  env.revocations.append('membership', membership.id, membership.userId, now)
  for (const invitation of env.invitations.activeCreatedBy(membership.id)) {
    env.invitations.deactivate(invitation.id)
    env.events.append({
      groupId: invitation.groupId,
      kind: 'invitation_cancelled',
      actorId: ending.actorId,
      invitationId: invitation.id,
      membershipId: membership.id,
      created: now,
      detail: { reason: 'inviter removed' },
    })
  }
  env.events.append({
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
export function endWithCascade(
  env: GroupEnv,
  target: Membership,
  ending: Ending,
  cascade: boolean,
  now: number,
): string[] {
  const ended = endMembership(env, target, ending, now) ? [target.id] : []
  if (!cascade) return ended
  for (const below of env.memberships.currentDescendants(target.id, now)) {
    if (endMembership(env, below, { ...ending, reason: 'cascade' }, now)) ended.push(below.id)
  }
  return ended
}
