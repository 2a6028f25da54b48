import { errors } from '../errors.js'
import { immediate } from '../storage/db.js'
import type { InvitationView } from '../storage/invitations.js'
import type { LineageLevel, Membership, MemberView } from '../storage/memberships.js'
import { endMembership, endWithCascade } from './ending.js'
import type { GroupEnv } from './env.js'
import { assertOwnersRemain, ownsOver } from './owners.js'
import { ancestorPaths, descendantRange } from './paths.js'

/**
 * Removing members (revoke), cancelling invitations (renege) and leaving,
 * under the powers of SPEC §3: a user's power over a group is the highest
 * `deauthorizes` of their current memberships in it or its ancestors.
 * 2 reaches everything in the group and its subgroups; 1 reaches what
 * descends, through the invitation chain, from one of the user's own
 * memberships carrying power 1 or more; anyone may cancel their own
 * invitations and leave.
 */
export class RemovalService {
  constructor(private readonly env: GroupEnv) {}

  /**
   * Removes memberships (all or none), and with `cascade` the memberships
   * admitted below each. Answers the ids of every membership removed.
   */
  revoke(userId: string, membershipIds: readonly string[], cascade = false): string[] {
    const now = this.env.clock.now()
    const removed = immediate(this.env.db, () => {
      const targets = membershipIds.map(id => {
        const membership = this.env.memberships.get(id)
        if (!membership) throw new errors.NotFound(`No membership ${id}`)
        if (!membership.active) throw new errors.Conflict(`Membership ${id} was already removed`)
        if (!this.mayRemove(userId, membership, now)) {
          throw new errors.Forbidden(
            membership.owner
              ? `Membership ${id} is an owner of ${membership.path}: only another owner may remove it`
              : `You may not remove membership ${id} of ${membership.path}`,
          )
        }
        return membership
      })
      assertOwnersRemain(this.env, targets, now)
      const ending = { kind: 'member_removed', actorId: userId, reason: 'revoked' } as const
      return targets.flatMap(target => endWithCascade(this.env, target, ending, cascade, now))
    })
    this.env.revoked()
    return removed
  }

  /** Cancels invitations (all or none). Answers their ids. */
  cancel(userId: string, invitationIds: readonly string[]): string[] {
    const now = this.env.clock.now()
    return immediate(this.env.db, () => {
      const targets = invitationIds.map(id => {
        const invitation = this.env.invitations.get(id)
        if (!invitation) throw new errors.NotFound(`No invitation ${id}`)
        if (!invitation.active) throw new errors.Conflict(`Invitation ${id} was already cancelled or has expired`)
        if (!this.mayCancel(userId, invitation.path, invitation.inviterId, now)) {
          throw new errors.Forbidden(`You may not cancel invitation ${id} to ${invitation.path}`)
        }
        return invitation
      })
      for (const invitation of targets) {
        this.env.invitations.deactivate(invitation.id)
        this.env.events.append({
          groupId: invitation.groupId,
          kind: 'invitation_cancelled',
          actorId: userId,
          invitationId: invitation.id,
          membershipId: invitation.inviterId,
          created: now,
          detail: { reason: 'cancelled', link: invitation.chainId },
        })
      }
      return targets.map(invitation => invitation.id)
    })
  }

  /** Ends one of the caller's own memberships. */
  leave(userId: string, membershipId: string): void {
    const now = this.env.clock.now()
    immediate(this.env.db, () => {
      const membership = this.env.memberships.get(membershipId)
      if (!membership || membership.userId !== userId)
        throw new errors.NotFound(`No membership ${membershipId} of yours`)
      if (!membership.active) throw new errors.Conflict(`Membership ${membershipId} has already ended`)
      endMembership(this.env, membership, { kind: 'member_left', actorId: userId, reason: 'left' }, now)
    })
    this.env.revoked()
  }

  /**
   * The current memberships the caller may remove, by path then name. The
   * caller's own are left out: they leave instead.
   */
  removable(userId: string): MemberView[] {
    const now = this.env.clock.now()
    const found = new Map<string, MemberView>()
    for (const mine of this.env.memberships.currentOf(userId, now)) {
      const reach =
        mine.deauthorizes >= 2
          ? this.env.memberships.currentWithin(mine.path, descendantRange(mine.path), now)
          : mine.deauthorizes === 1
            ? this.env.memberships.currentDescendants(mine.id, now)
            : []
      for (const member of reach) {
        if (member.userId !== userId && (!member.owner || ownsOver(this.env, userId, member.path, now))) {
          found.set(member.id, member)
        }
      }
    }
    return [...found.values()].sort((a, b) => a.path.localeCompare(b.path) || a.userName.localeCompare(b.userName))
  }

  /** The active invitations the caller may cancel, by path then creation time. */
  cancellable(userId: string): InvitationView[] {
    const now = this.env.clock.now()
    const found = new Map<string, InvitationView>()
    const add = (invitations: InvitationView[]) => {
      for (const invitation of invitations) found.set(invitation.id, invitation)
    }
    add(this.env.invitations.activeCreatedByAny(this.env.memberships.activeOf(userId).map(m => m.id)))
    for (const mine of this.env.memberships.currentOf(userId, now)) {
      if (mine.deauthorizes >= 2) add(this.env.invitations.activeWithin(mine.path, descendantRange(mine.path)))
      else if (mine.deauthorizes === 1) {
        const inviters = [mine.id, ...this.env.memberships.currentDescendants(mine.id, now).map(m => m.id)]
        add(this.env.invitations.activeCreatedByAny(inviters))
      }
    }
    return [...found.values()].sort((a, b) => a.path.localeCompare(b.path) || a.created - b.created)
  }

  /**
   * Account deletion step (registered with the account service): ends
   * every membership of the user, inside the deletion transaction, so that
   * each reaches the revocation log before the rows go with the account.
   */
  forgetUser(userId: string, now: number): void {
    for (const membership of this.env.memberships.activeOf(userId)) {
      endMembership(this.env, membership, { kind: 'member_removed', actorId: userId, reason: 'account deleted' }, now)
    }
    // The deletion transaction commits when the current synchronous step finishes; announce right after.
    queueMicrotask(() => this.env.revoked())
  }

  private mayRemove(userId: string, target: Membership, now: number): boolean {
    if (target.owner) return ownsOver(this.env, userId, target.path, now)
    const power = this.env.memberships.highestPower(userId, ancestorPaths(target.path), now) ?? 0
    if (power >= 2) return true
    // Power 1 reaches only the target's inviter chain above it.
    return power === 1 && this.carriesPower(userId, this.env.memberships.lineage(target.id).slice(1), now)
  }

  private mayCancel(userId: string, path: string, inviterId: string | null, now: number): boolean {
    const power = this.env.memberships.highestPower(userId, ancestorPaths(path), now) ?? 0
    if (power >= 2) return true
    if (inviterId === null) return false
    const lineage = this.env.memberships.lineage(inviterId)
    if (lineage[0]?.membership.userId === userId) return true
    return power === 1 && this.carriesPower(userId, lineage, now)
  }

  /** Whether one of these levels is a current membership of the user with power 1 or more. */
  private carriesPower(userId: string, levels: readonly LineageLevel[], now: number): boolean {
    return levels.some(
      ({ membership: m }) =>
        m.userId === userId && m.deauthorizes >= 1 && m.active && (m.until === null || m.until > now),
    )
  }
}
