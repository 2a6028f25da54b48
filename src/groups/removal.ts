import { errors } from '../errors.js'
import type { Invitation, InvitationView } from '../storage/invitations.js'
import type { LineageLevel, Membership, MemberView } from '../storage/memberships.js'
import { endMembership, endWithCascade } from './end-membership.js'
import type { GroupDeps } from './group-deps.js'
import { assertOwnersRemain, ownsOver } from './owners.js'
import { ancestorPaths, descendantRange } from './group-paths.js'

/**
 * Removing members (revoke), cancelling invitations (renege) and leaving,
 * under the powers docs/access-groups.md, "Who may remove whom", sets out: a user's power over a group is the highest
 * `deauthorizes` of their current memberships in it or its ancestors.
 * 2 reaches everything in the group and its subgroups; 1 reaches what
 * descends, through the invitation chain, from one of the user's own
 * memberships carrying power 1 or more; anyone may cancel their own
 * invitations and leave.
 */
export class RemovalService {
  constructor(private readonly deps: GroupDeps) {}

  /**
   * Removes memberships (all or none), and with `cascade` the memberships
   * admitted below each. Answers the ids of every membership removed.
   */
  async revoke(userId: string, membershipIds: readonly string[], cascade = false): Promise<string[]> {
    const now = this.deps.clock.now()
    const removed = await this.deps.db.transaction(async () => {
      const targets: Membership[] = []
      for (const id of membershipIds) {
        const membership = await this.deps.memberships.get(id)
        if (!membership) throw new errors.NotFound(`No membership ${id}`)
        if (!membership.active) throw new errors.Conflict(`Membership ${id} was already removed`)
        if (!(await this.mayRemove(userId, membership, now))) {
          throw new errors.Forbidden(
            membership.owner
              ? `Membership ${id} is an owner of ${membership.path}: only another owner may remove it`
              : `You may not remove membership ${id} of ${membership.path}`,
          )
        }
        targets.push(membership)
      }
      await assertOwnersRemain(this.deps, targets, now)
      const ending = { kind: 'member_removed', actorId: userId, reason: 'revoked' } as const
      const ended: string[] = []
      for (const target of targets) ended.push(...(await endWithCascade(this.deps, target, ending, cascade, now)))
      return ended
    })
    await this.deps.announce()
    return removed
  }

  /** Cancels invitations (all or none). Answers their ids. */
  async cancel(userId: string, invitationIds: readonly string[]): Promise<string[]> {
    const now = this.deps.clock.now()
    return this.deps.db.transaction(async () => {
      // Refusals name the invitation by its place in the request: its id is a bearer link, kept out of logs.
      const targets: Invitation[] = []
      for (const [index, id] of invitationIds.entries()) {
        const which = `invitations[${index}]`
        const invitation = await this.deps.invitations.get(id)
        if (!invitation) throw new errors.NotFound(`${which}: no such invitation`)
        if (!invitation.active) throw new errors.Conflict(`${which} was already cancelled or has expired`)
        if (!(await this.mayCancel(userId, invitation.path, invitation.inviterId, now))) {
          throw new errors.Forbidden(`You may not cancel ${which}, to ${invitation.path}`)
        }
        targets.push(invitation)
      }
      for (const invitation of targets) {
        await this.deps.invitations.deactivate(invitation.id)
        await this.deps.events.append({
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
  async leave(userId: string, membershipId: string): Promise<void> {
    const now = this.deps.clock.now()
    await this.deps.db.transaction(async () => {
      const membership = await this.deps.memberships.get(membershipId)
      if (!membership || membership.userId !== userId)
        throw new errors.NotFound(`No membership ${membershipId} of yours`)
      if (!membership.active) throw new errors.Conflict(`Membership ${membershipId} has already ended`)
      await endMembership(this.deps, membership, { kind: 'member_left', actorId: userId, reason: 'left' }, now)
    })
    await this.deps.announce()
  }

  /**
   * The current memberships the caller may remove, by path then name. The
   * caller's own are left out: they leave instead.
   */
  async removable(userId: string): Promise<MemberView[]> {
    const now = this.deps.clock.now()
    const found = new Map<string, MemberView>()
    for (const mine of await this.deps.memberships.currentOf(userId, now)) {
      const reach =
        mine.deauthorizes >= 2
          ? await this.deps.memberships.currentWithin(mine.path, descendantRange(mine.path), now)
          : mine.deauthorizes === 1
            ? await this.deps.memberships.currentDescendants(mine.id, now)
            : []
      for (const member of reach) {
        if (member.userId !== userId && (!member.owner || (await ownsOver(this.deps, userId, member.path, now)))) {
          found.set(member.id, member)
        }
      }
    }
    return [...found.values()].sort((a, b) => a.path.localeCompare(b.path) || a.userName.localeCompare(b.userName))
  }

  /** The active invitations the caller may cancel, by path then creation time. */
  async cancellable(userId: string): Promise<InvitationView[]> {
    const now = this.deps.clock.now()
    const { memberships, invitations } = this.deps
    const found = new Map<string, InvitationView>()
    const add = (listed: InvitationView[]) => {
      for (const invitation of listed) found.set(invitation.id, invitation)
    }
    add(await invitations.activeCreatedByAny((await memberships.activeOf(userId)).map(m => m.id)))
    for (const mine of await memberships.currentOf(userId, now)) {
      if (mine.deauthorizes >= 2) add(await invitations.activeWithin(mine.path, descendantRange(mine.path)))
      else if (mine.deauthorizes === 1) {
        const inviters = [mine.id, ...(await memberships.currentDescendants(mine.id, now)).map(m => m.id)]
        add(await invitations.activeCreatedByAny(inviters))
      }
    }
    return [...found.values()].sort((a, b) => a.path.localeCompare(b.path) || a.created - b.created)
  }

  /**
   * Account deletion step (registered with the account service): ends
   * every membership of the user, inside the deletion transaction, so that
   * each reaches the revocation log before the rows go with the account.
   * Only the owner of that transaction knows when it has committed, so it
   * announces (as every service here does after its own transaction).
   */
  async forgetUser(userId: string, now: number): Promise<void> {
    for (const membership of await this.deps.memberships.activeOf(userId)) {
      const ending = { kind: 'member_removed', actorId: userId, reason: 'account deleted' } as const
      await endMembership(this.deps, membership, ending, now)
    }
  }

  private async mayRemove(userId: string, target: Membership, now: number): Promise<boolean> {
    if (target.owner) return ownsOver(this.deps, userId, target.path, now)
    const power = (await this.deps.memberships.highestPower(userId, ancestorPaths(target.path), now)) ?? 0
    if (power >= 2) return true
    // Power 1 reaches only the target's inviter chain above it.
    return power === 1 && this.carriesPower(userId, (await this.deps.memberships.lineage(target.id)).slice(1), now)
  }

  private async mayCancel(userId: string, path: string, inviterId: string | null, now: number): Promise<boolean> {
    const power = (await this.deps.memberships.highestPower(userId, ancestorPaths(path), now)) ?? 0
    if (power >= 2) return true
    if (inviterId === null) return false
    const lineage = await this.deps.memberships.lineage(inviterId)
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
