import { randomUUID } from 'node:crypto'
import { errors } from '../errors.js'
import { immediate } from '../storage/db.js'
import type { Group } from '../storage/groups.js'
import type { Membership } from '../storage/memberships.js'
import type { User } from '../storage/users.js'
import { actingUser, actorDetail, ADMIN, type Actor } from './actor.js'
import { claimForApp } from './app-scope.js'
import type { GroupEnv } from './env.js'
import { ancestorPaths, checkPath, findPathProblem } from './paths.js'
import { isUuid } from './shortcode.js'

export interface NamespaceResult {
  group: Group
  owner: User
  membership: Membership
  /** Paths of the groups this call created, root first (empty when all existed). */
  createdGroups: string[]
  /** Whether the owner membership was created by this call. */
  createdMembership: boolean
}

/** Memoised lineages beyond this many are dropped all at once: a bound, not an LRU. */
const MAX_REMEMBERED = 50_000

/** The group forest: finding groups by id or path, creating paths and namespaces. */
export class GroupTree {
  /**
   * Path → ids of the group and its ancestors, root first. Groups are
   * never renamed, moved or deleted, so a lineage once found stays true in
   * every process; only existing groups are remembered (one created later,
   * perhaps by another process, is simply looked up then).
   */
  private readonly lineages = new Map<string, readonly string[]>()

  constructor(private readonly env: GroupEnv) {}

  /** Ids of the group at `path` and of its ancestors, root first; undefined when it does not exist (or `path` is no path). */
  lineageIds(path: string): readonly string[] | undefined {
    let ids = this.lineages.get(path)
    if (ids) return ids
    if (findPathProblem(path)) return undefined
    const found: string[] = []
    for (const ancestor of ancestorPaths(path)) {
      const group = this.env.groups.findByPath(ancestor)
      if (!group) return undefined
      found.push(group.id)
    }
    if (this.lineages.size >= MAX_REMEMBERED) this.lineages.clear()
    ids = found
    this.lineages.set(path, ids)
    return ids
  }

  /** The group with this id, or else at this path. */
  find(ref: string): Group | undefined {
    return (isUuid(ref) ? this.env.groups.get(ref.toLowerCase()) : undefined) ?? this.env.groups.findByPath(ref)
  }

  /** Like `find`, but a group that does not exist is `LOGIN_ERR_NOT_FOUND`. */
  require(ref: string): Group {
    const group = this.find(ref)
    if (!group) throw new errors.NotFound(`No group ${JSON.stringify(ref.slice(0, 200))}`)
    return group
  }

  /**
   * The group at `path`, creating it and any missing ancestors. Logs each
   * creation. Runs inside the caller's transaction (or its own).
   */
  ensurePath(path: string, actorId: string | null, now: number): { group: Group; created: Group[] } {
    checkPath(path)
    return immediate(this.env.db, () => {
      const created: Group[] = []
      let parent: Group | undefined
      for (const ancestor of ancestorPaths(path)) {
        let group = this.env.groups.findByPath(ancestor)
        if (!group) {
          group = {
            id: randomUUID(),
            parentId: parent?.id ?? null,
            name: ancestor.slice(ancestor.lastIndexOf('/') + 1),
            path: ancestor,
            created: now,
          }
          this.env.groups.insert(group)
          this.env.events.append({
            groupId: group.id,
            kind: parent ? 'group_created' : 'namespace_created',
            actorId,
            created: now,
          })
          created.push(group)
        }
        parent = group
      }
      return { group: parent!, created }
    })
  }

  /**
   * Creates the namespace (or subtree) at `path` with an owner named by
   * provider and provider user id, who need not have signed in yet
   * (their first sign-in lands on the placeholder account made here).
   * The owner holds a membership of `path` with no expiry, unlimited
   * spots, power 2 and unlimited degrees of separation. Idempotent: a
   * second call with the same owner changes nothing. A group that someone
   * else owns already gets another owner only with `addOwner`; otherwise
   * the call is `LOGIN_ERR_CONFLICT`, so that nobody becomes a co-owner by
   * mistake. An app may only do this inside its namespaces (or create a new
   * one, which becomes its own).
   */
  ensureNamespace(
    path: string,
    ownerProvider: string,
    ownerProviderUserId: string,
    actor: Actor = ADMIN,
    options: { addOwner?: boolean } = {},
  ): NamespaceResult {
    checkPath(path, 'namespace path')
    if (typeof ownerProvider !== 'string' || !/^[a-z0-9]+(?::[A-Za-z0-9._-]+)?$/.test(ownerProvider)) {
      throw new errors.BadRequest('owner provider must be a provider id such as test, google or oidc:<name>')
    }
    if (
      typeof ownerProviderUserId !== 'string' ||
      ownerProviderUserId.length === 0 ||
      ownerProviderUserId.length > 256 ||
      /\p{C}/u.test(ownerProviderUserId)
    ) {
      throw new errors.BadRequest('owner provider user id must be 1 to 256 printable characters')
    }
    const now = this.env.clock.now()
    const actorId = actingUser(actor)
    return immediate(this.env.db, () => {
      claimForApp(this.env, actor, path, now)
      const owner = this.env.users.ensureForIdentity(ownerProvider, ownerProviderUserId, now)
      const { group, created } = this.ensurePath(path, actorId, now)
      let membership = this.env.memberships.ownerMembership(owner.id, group.id)
      const createdMembership = !membership
      if (!membership) {
        const others = this.env.memberships.owners([group.path], now)
        if (others.length > 0 && !options.addOwner) {
          const names = others.map(m => this.env.users.get(m.userId)?.name ?? m.userId).join(', ')
          throw new errors.Conflict(
            `${group.path} is owned by ${names} already; to add ${ownerProvider}:${ownerProviderUserId} ` +
              'as another owner, say so (--add-owner)',
          )
        }
        const id = randomUUID()
        this.env.memberships.insert({
          id,
          userId: owner.id,
          groupId: group.id,
          invitationId: null,
          until: null,
          spots: null,
          deauthorizes: 2,
          dos: null,
          owner: true,
          created: now,
        })
        this.env.events.append({
          groupId: group.id,
          kind: 'owner_added',
          actorId,
          subjectId: owner.id,
          membershipId: id,
          created: now,
          detail: { owner: `${ownerProvider}:${ownerProviderUserId}`, ...actorDetail(actor) },
        })
        membership = this.env.memberships.get(id)!
      }
      return { group, owner, membership, createdGroups: created.map(g => g.path), createdMembership }
    })
  }
}
