import { randomUUID } from 'node:crypto'
import { errors } from '../errors.js'
import type { Group } from '../storage/groups.js'
import type { Invitation } from '../storage/invitations.js'
import type { LineageLevel, Membership } from '../storage/memberships.js'
import { logMembershipChange } from './changes.js'
import type { GroupDeps } from './group-deps.js'
import type { InvitationItem, InvitationRequest } from './invitation-request.js'
import { ancestorPaths, checkPath, descendantRange, isWithin } from './group-paths.js'
import { invitationIdOf, isUuid, toShort } from './shortcode.js'
import type { GroupTree } from './tree.js'

/**
 * The levels of the admission walk (docs/access-groups.md, "Limits on sharing") up from a membership: the
 * membership itself, then, for as long as a level joined through a
 * depleting invitation, the membership that created that invitation.
 */
export function admissionWalk(lineage: readonly LineageLevel[]): LineageLevel[] {
  const levels: LineageLevel[] = []
  for (const level of lineage) {
    levels.push(level)
    if (!level.invitation?.depletes) break
  }
  return levels
}

/** The admission bound over walked levels: the least of their spots and their depleting invitations' invitees; null = unlimited. */
export function boundOf(levels: readonly LineageLevel[]): number | null {
  let bound: number | null = null
  const take = (n: number | null) => {
    if (n !== null && (bound === null || n < bound)) bound = n
  }
  for (const level of levels) {
    take(level.membership.spots)
    if (level.invitation?.depletes) take(level.invitation.invitees)
  }
  return bound
}

function least(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.min(a, b)
}

export interface CreatedLink {
  /** The link's id (a UUID): that of its first invitation. */
  id: string
  /** The link's short code, which names it in URLs and is typed by hand. */
  code: string
  invitations: Invitation[]
}

/** What a membership allows its holder to put into an invitation. */
export interface InvitationLimits {
  /** `invitees` ≤ this, and required, when not null (the admission bound). */
  invitees: number | null
  /** `plus` ≤ this, and required, when not null (the membership's spots). */
  plus: number | null
  /** `deauthorizes` ≤ this. */
  deauthorizes: number
  /** `dos` ≤ this, and required, when not null. */
  dos: number | null
  /** Whether the invitation must deplete. */
  depletes: boolean
  /** Both expirations ≤ this, and `acceptance_expiration` required, when not null (the membership's `until`). */
  expiration: number | null
}

/** A group the caller can invite to, through one of their memberships. */
export interface InvitableGroup {
  membership: Membership
  limits: InvitationLimits
  /** The existing subgroups of the membership's group (invitations may also name new ones). */
  subgroups: Group[]
}

/** An invitation link as shown before accepting it, and to its creator as a preview. */
export interface LinkDescription {
  /** The link's id (a UUID). */
  id: string
  /** Its short code. */
  code: string
  invitations: Invitation[]
  inviter: { membership: string; userId: string; name: string } | null
  /** How many more people can accept it now (the least over its groups of invitees and the inviter's bound); null = unlimited. */
  placesLeft: number | null
  /** Why it cannot be accepted, or null when it can. */
  closed: string | null
  /** Whether the viewer created it (they see the preview instead of accepting). */
  viewerIsInviter: boolean
  viewerAccepted: boolean
}

export interface Acceptance {
  link: string
  memberships: Membership[]
  redirect: string | null
}

/** An invitation of a link that can be accepted now, with its inviter's membership (active, unexpired). */
interface AcceptableInvitation {
  invitation: Invitation
  inviter: Membership
}

/** Invitation links: creation under the limits, and acceptance. */
export class InvitationService {
  constructor(
    private readonly deps: GroupDeps,
    private readonly tree: GroupTree,
    /** Validates a `redirect` like `?next=` and returns its normalised form (throws `LOGIN_ERR_BAD_NEXT`). */
    private readonly checkRedirect: (raw: string) => string,
  ) {}

  /** The admission bound of a membership: how many people it may still admit, counting depleting ancestors; null = unlimited. */
  async admissionBound(membershipId: string): Promise<number | null> {
    return boundOf(admissionWalk(await this.deps.memberships.lineage(membershipId)))
  }

  /** What each of the caller's memberships that grants `ref` (or any group, without `ref`) lets them invite to. */
  async invitable(userId: string, ref?: string): Promise<InvitableGroup[]> {
    const now = this.deps.clock.now()
    let memberships: Membership[]
    if (ref === undefined) {
      memberships = await this.deps.memberships.currentOf(userId, now)
    } else {
      const path = (await this.tree.find(ref))?.path ?? checkPath(ref)
      memberships = await this.deps.memberships.granting(userId, ancestorPaths(path), now)
    }
    const invitable: InvitableGroup[] = []
    for (const membership of memberships.filter(m => m.dos !== 1)) {
      invitable.push({
        membership,
        limits: this.limitsOf(membership, await this.deps.memberships.lineage(membership.id)),
        subgroups: await this.deps.groups.pathRange(...descendantRange(membership.path)),
      })
    }
    return invitable
  }

  /**
   * Creates an invitation link for the caller: one invitation per group,
   * each checked against its inviting membership's limits (docs/access-groups.md,
   * "Limits on sharing"), all in one transaction.
   */
  async create(userId: string, request: InvitationRequest): Promise<CreatedLink> {
    if (request.invitations.length === 0) throw new errors.BadRequest('invitations must name at least one group')
    const redirect = request.redirect === null ? null : this.checkRedirect(request.redirect)
    const now = this.deps.clock.now()
    return this.deps.db.transaction(async () => {
      const chainId = randomUUID()
      const paths = new Set<string>()
      const invitations: Invitation[] = []
      for (const [position, item] of request.invitations.entries()) {
        const at = request.invitations.length > 1 ? `invitations[${position}]: ` : ''
        const { inviter, path } = await this.checkItem(userId, item, request.invitees, now, at)
        if (paths.has(path)) throw new errors.BadRequest(`${at}${path} is named twice in one link`)
        paths.add(path)
        const { group } = await this.tree.ensurePath(path, userId, now)
        const id = position === 0 ? chainId : randomUUID()
        await this.deps.invitations.insert({
          id,
          chainId,
          position,
          inviterId: inviter.id,
          groupId: group.id,
          invitees: request.invitees,
          acceptanceExpiration: item.acceptanceExpiration,
          accessExpiration: item.accessExpiration,
          accessDuration: item.accessDuration,
          plus: item.plus,
          depletes: item.depletes,
          dos: item.dos,
          deauthorizes: item.deauthorizes,
          redirect,
          confirm: request.confirm,
          created: now,
        })
        await this.deps.events.append({
          groupId: group.id,
          kind: 'invitation_created',
          actorId: userId,
          membershipId: inviter.id,
          invitationId: id,
          created: now,
          detail: {
            link: chainId,
            invitees: request.invitees,
            acceptance_expiration: item.acceptanceExpiration,
            access_expiration: item.accessExpiration,
            access_duration: item.accessDuration,
            plus: item.plus,
            depletes: item.depletes,
            dos: item.dos,
            deauthorizes: item.deauthorizes,
          },
        })
        invitations.push((await this.deps.invitations.get(id))!)
      }
      return { id: chainId, code: toShort(chainId), invitations }
    })
  }

  /** The link named by a long id or short code, as a visitor (or its creator) sees it. */
  async describe(ref: string, viewerId: string | null): Promise<LinkDescription> {
    const chain = await this.chainOf(ref)
    const head = chain[0]!
    const inviterMembership = head.inviterId === null ? undefined : await this.deps.memberships.get(head.inviterId)
    const inviterUser = inviterMembership && (await this.deps.users.get(inviterMembership.userId))
    let placesLeft: number | null = null
    for (const invitation of chain) {
      placesLeft = least(placesLeft, invitation.invitees)
      if (invitation.inviterId !== null) placesLeft = least(placesLeft, await this.admissionBound(invitation.inviterId))
    }
    const acceptable = await this.acceptable(chain, this.deps.clock.now())
    return {
      id: head.chainId,
      code: toShort(head.chainId),
      invitations: chain,
      inviter:
        inviterMembership && inviterUser
          ? { membership: inviterMembership.id, userId: inviterUser.id, name: inviterUser.name }
          : null,
      placesLeft,
      closed: typeof acceptable === 'string' ? acceptable : placesLeft === 0 ? 'it has no places left' : null,
      viewerIsInviter: viewerId !== null && inviterMembership?.userId === viewerId,
      viewerAccepted: viewerId !== null && (await this.hasAccepted(head.chainId, await this.selvesOf(viewerId))),
    }
  }

  /**
   * Accepts a link for the user: every invitation of the chain in order,
   * all or nothing, in one write transaction (those take turns) so that
   * concurrent acceptances (from any process or node) can never admit more
   * people than the limits allow.
   */
  async accept(userId: string, ref: string): Promise<Acceptance> {
    const chainId = (await this.chainOf(ref))[0]!.chainId
    const now = this.deps.clock.now()
    const outcome = await this.deps.db.transaction(async () => {
      const chain = await this.deps.invitations.chain(chainId)
      // An expired link is deactivated; that must commit, so it is answered rather than thrown.
      const acceptable = await this.acceptable(chain, now)
      if (typeof acceptable === 'string') {
        await this.deps.invitations.deactivateLink(chainId)
        return { closed: acceptable }
      }
      if (acceptable.some(({ inviter }) => inviter.userId === userId)) {
        throw new errors.Conflict('This is your own invitation: share its link instead of accepting it')
      }
      const selves = await this.selvesOf(userId)
      if (await this.hasAccepted(chainId, selves))
        throw new errors.Conflict('You have already accepted this invitation')
      const memberships: Membership[] = []
      for (const open of acceptable) memberships.push(await this.admit(userId, selves, open, now))
      await this.deps.invitations.recordAcceptance(chainId, userId, now)
      return { accepted: { link: chainId, memberships, redirect: chain[0]!.redirect } }
    })
    if ('closed' in outcome)
      throw new errors.InvitationGone(`This invitation can no longer be accepted: ${outcome.closed}`)
    await this.deps.announce()
    return outcome.accepted
  }

  /** Where `/login/access/qr` sends a user: the redirect of the link they accepted last (null when it had none). */
  async latestRedirect(userId: string): Promise<string | null> {
    const redirect = await this.deps.invitations.latestAcceptedRedirect(userId)
    if (redirect === undefined) throw new errors.NotFound('You have not accepted any invitation yet')
    return redirect
  }

  // ---- creation rules

  private async checkItem(
    userId: string,
    item: InvitationItem,
    invitees: number | null,
    now: number,
    at: string,
  ): Promise<{ inviter: Membership; path: string }> {
    let path: string
    const existing = await this.tree.find(item.accessing)
    if (existing) path = existing.path
    else if (isUuid(item.accessing)) throw new errors.NotFound(`${at}no group with id ${item.accessing}`)
    else path = checkPath(item.accessing, `${at}accessing`)

    const inviter =
      item.inviter === null
        ? await this.pickInviter(userId, path, now, at)
        : await this.ownInviter(userId, item.inviter, path, now, at)
    const limits = this.limitsOf(inviter, await this.deps.memberships.lineage(inviter.id))
    const limit = (message: string): never => {
      throw new errors.InvitationLimit(`${at}${message}`)
    }

    if (inviter.dos === 1) limit('your membership cannot invite anyone (its degrees of separation are used up)')
    if (item.acceptanceExpiration !== null && item.acceptanceExpiration <= now) {
      throw new errors.BadRequest(`${at}acceptance_expiration must be in the future`)
    }
    if (item.accessExpiration !== null && item.accessExpiration <= now) {
      throw new errors.BadRequest(`${at}access_expiration must be in the future`)
    }
    if (
      item.acceptanceExpiration !== null &&
      item.accessExpiration !== null &&
      item.accessExpiration < item.acceptanceExpiration
    ) {
      throw new errors.BadRequest(`${at}access_expiration must not be before acceptance_expiration`)
    }
    if (limits.expiration !== null) {
      if (item.acceptanceExpiration === null || item.acceptanceExpiration > limits.expiration) {
        limit(`acceptance_expiration must be set, no later than your own access ends (${limits.expiration})`)
      }
      if (item.accessExpiration !== null && item.accessExpiration > limits.expiration) {
        limit(`access_expiration must be no later than your own access ends (${limits.expiration})`)
      }
    }
    if (limits.invitees !== null && (invitees === null || invitees > limits.invitees)) {
      limit(
        limits.invitees === 0
          ? 'you cannot admit anyone more (your admission bound is 0)'
          : `invitees must be set, at most your admission bound of ${limits.invitees}`,
      )
    }
    if (limits.plus !== null && (item.plus === null || item.plus > limits.plus)) {
      limit(`plus must be set, at most your own spots (${limits.plus})`)
    }
    if (item.deauthorizes > limits.deauthorizes)
      limit(`deauthorizes may be at most your own power (${limits.deauthorizes})`)
    if (limits.depletes && !item.depletes) limit('depletes must be true: your own invitation depletes')
    if (limits.dos !== null && (item.dos === null || item.dos > limits.dos)) {
      limit(`dos must be set, at most ${limits.dos} (one less than your own)`)
    }
    return { inviter, path }
  }

  private limitsOf(membership: Membership, lineage: readonly LineageLevel[]): InvitationLimits {
    return {
      invitees: boundOf(admissionWalk(lineage)),
      plus: membership.spots,
      deauthorizes: membership.deauthorizes,
      dos: membership.dos === null ? null : membership.dos - 1,
      depletes: lineage[0]?.invitation?.depletes ?? false,
      expiration: membership.until,
    }
  }

  private async ownInviter(
    userId: string,
    membershipId: string,
    path: string,
    now: number,
    at: string,
  ): Promise<Membership> {
    const membership = await this.deps.memberships.get(membershipId)
    if (!membership || membership.userId !== userId)
      throw new errors.Forbidden(`${at}inviter ${membershipId} is not one of your memberships`)
    if (!membership.active)
      throw new errors.InvitationLimit(`${at}the inviting membership ${membershipId} is no longer active`)
    if (membership.until !== null && membership.until <= now)
      throw new errors.InvitationLimit(`${at}the inviting membership ${membershipId} has expired`)
    if (!isWithin(path, membership.path)) {
      throw new errors.Forbidden(`${at}membership ${membershipId} (in ${membership.path}) does not grant ${path}`)
    }
    return membership
  }

  /** Among the caller's memberships granting `path`, one that may invite, with the largest admission bound. */
  private async pickInviter(userId: string, path: string, now: number, at: string): Promise<Membership> {
    const granting = await this.deps.memberships.granting(userId, ancestorPaths(path), now)
    if (granting.length === 0) throw new errors.Forbidden(`${at}you are not a member of ${path}`)
    let best: { membership: Membership; bound: number | null } | undefined
    for (const membership of granting) {
      if (membership.dos === 1) continue
      const bound = await this.admissionBound(membership.id)
      if (!best || (best.bound !== null && (bound === null || bound > best.bound))) best = { membership, bound }
    }
    // Only memberships that cannot invite: report the rule through the first of them.
    return best?.membership ?? granting[0]!
  }

  // ---- acceptance

  /** The user and the deleted accounts one of their identities signed in to: the same person, for acceptance. */
  private async selvesOf(userId: string): Promise<ReadonlySet<string>> {
    return new Set([userId, ...(await this.deps.users.formerAccounts(userId))])
  }

  private async hasAccepted(chainId: string, selves: ReadonlySet<string>): Promise<boolean> {
    for (const id of selves) if (await this.deps.invitations.hasAccepted(chainId, id)) return true
    return false
  }

  private async chainOf(ref: string): Promise<Invitation[]> {
    const id = invitationIdOf(ref)
    const invitation = id && (await this.deps.invitations.get(id))
    if (!invitation) throw new errors.NotFound('No such invitation (check the link or code)')
    return this.deps.invitations.chain(invitation.chainId)
  }

  /**
   * The chain's invitations, each with its inviter's membership, when every
   * one of them can be accepted at `now`; else why not (cancelled, past a
   * deadline, inviter gone).
   */
  private async acceptable(chain: readonly Invitation[], now: number): Promise<AcceptableInvitation[] | string> {
    const acceptable: AcceptableInvitation[] = []
    for (const invitation of chain) {
      if (!invitation.active) return 'it was cancelled or has expired'
      if (invitation.acceptanceExpiration !== null && now > invitation.acceptanceExpiration)
        return 'its acceptance deadline has passed'
      if (invitation.accessExpiration !== null && now >= invitation.accessExpiration)
        return 'the access it grants has already ended'
      const inviter = invitation.inviterId === null ? undefined : await this.deps.memberships.get(invitation.inviterId)
      if (!inviter || !inviter.active || (inviter.until !== null && inviter.until <= now))
        return "the inviter's own access has ended"
      acceptable.push({ invitation, inviter })
    }
    return acceptable
  }

  /**
   * Admits the user through one invitation: checks room at every level of
   * the walk, spends one place at each, and creates the membership. Runs
   * inside `accept`'s transaction; anything thrown rolls the whole link back.
   */
  private async admit(
    userId: string,
    selves: ReadonlySet<string>,
    { invitation, inviter }: AcceptableInvitation,
    now: number,
  ): Promise<Membership> {
    const lineage = await this.deps.memberships.lineage(inviter.id)
    if (lineage.some(level => selves.has(level.membership.userId))) {
      throw new errors.Conflict(
        `You are already in the inviter chain of ${invitation.path}: accepting would make a loop`,
      )
    }
    if (invitation.invitees === 0)
      throw new errors.InvitationGone(`This invitation to ${invitation.path} has been used up`)
    const levels = admissionWalk(lineage)
    if (boundOf(levels) === 0)
      throw new errors.InvitationGone(`This invitation to ${invitation.path} has no places left`)

    await this.deps.invitations.consume(invitation.id)
    for (const level of levels) {
      await this.deps.memberships.consumeSpot(level.membership.id)
      if (level.invitation?.depletes) await this.deps.invitations.consume(level.invitation.id)
    }

    const granted =
      invitation.accessExpiration ?? (invitation.accessDuration === null ? null : now + invitation.accessDuration)
    const id = randomUUID()
    await this.deps.memberships.insert({
      id,
      userId,
      groupId: invitation.groupId,
      invitationId: invitation.id,
      until: least(granted, inviter.until),
      spots: invitation.plus,
      deauthorizes: invitation.deauthorizes,
      dos: invitation.dos,
      owner: false,
      appId: null,
      created: now,
    })
    await this.deps.events.append({
      groupId: invitation.groupId,
      kind: 'invitation_accepted',
      actorId: userId,
      subjectId: userId,
      membershipId: id,
      invitationId: invitation.id,
      created: now,
      detail: { link: invitation.chainId },
    })
    await logMembershipChange(this.deps, { id, userId, path: invitation.path }, now)
    return (await this.deps.memberships.get(id))!
  }
}
