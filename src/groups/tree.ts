import { randomUUID } from 'node:crypto'
import { errors } from '../errors.js'
import type { Group } from '../storage/groups.js'
import type { Membership } from '../storage/memberships.js'
import type { User } from '../storage/users.js'
import { actingApp, actingUser, actorDetail, ADMIN, type Actor } from './actor.js'
import { claimForApp } from './app-scope.js'
import { logMembershipChange } from './changes.js'
import type { GroupDeps } from './group-deps.js'
import { inChunks } from './in-chunks.js'
import { ancestorPaths, checkPath, findPathProblem } from './group-paths.js'
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

  constructor(private readonly deps: GroupDeps) {}

  /**
   * The ids of the group at each path and of its ancestors, root first;
   * undefined for a path naming no group (or no path at all). Remembered
   * lineages come from memory, the others from one statement for all their
   * ancestors (or from several, when there are more than `inChunks` binds).
   */
  lineageIds(paths: readonly string[]): Promise<Map<string, readonly string[] | undefined>> {
    const lineages = new Map<string, readonly string[] | undefined>()
    const unknown: string[] = []
    for (const path of paths) {
      const ids = this.lineages.get(path)
      if (ids || findPathProblem(path)) lineages.set(path, ids)
      else unknown.push(path)
    }
    // Every membership check comes this way: once all are remembered, no await of its own.
    return unknown.length === 0 ? Promise.resolve(lineages) : this.lookUp(unknown, lineages)
  }

  /** Adds the lineages of `paths` (valid, not remembered) to `lineages`, and remembers those that exist. */
  private async lookUp(
    paths: readonly string[],
    lineages: Map<string, readonly string[] | undefined>,
  ): Promise<Map<string, readonly string[] | undefined>> {
    const ancestors = [...new Set(paths.flatMap(ancestorPaths))]
    const idOf = new Map<string, string>()
    for (const group of await inChunks(ancestors, chunk => this.deps.groups.findByPaths(chunk))) {
      idOf.set(group.path, group.id)
    }
    for (const path of paths) {
      const ids = ancestorPaths(path).map(ancestor => idOf.get(ancestor))
      if (!ids.every((id): id is string => id !== undefined)) {
        lineages.set(path, undefined)
        continue
      }
      if (this.lineages.size >= MAX_REMEMBERED) this.lineages.clear()
      this.lineages.set(path, ids)
      lineages.set(path, ids)
    }
    return lineages
  }

  /** The group with this id, or else at this path. */
  async find(ref: string): Promise<Group | undefined> {
    return (isUuid(ref) ? await this.deps.groups.get(ref.toLowerCase()) : undefined) ?? this.deps.groups.findByPath(ref)
  }

  /** Like `find`, but a group that does not exist is `LOGIN_ERR_NOT_FOUND`. */
  async require(ref: string): Promise<Group> {
    const group = await this.find(ref)
    if (!group) throw new errors.NotFound(`No group ${JSON.stringify(ref.slice(0, 200))}`)
    return group
  }

  /**
   * The group at `path`, creating it and any missing ancestors. Logs each
   * creation. Runs inside the caller's transaction (or its own).
   */
  async ensurePath(path: string, actorId: string | null, now: number): Promise<{ group: Group; created: Group[] }> {
    checkPath(path)
    return this.deps.db.transaction(async () => {
      const created: Group[] = []
      let parent: Group | undefined
      for (const ancestor of ancestorPaths(path)) {
        let group = await this.deps.groups.findByPath(ancestor)
        if (!group) {
          group = {
            id: randomUUID(),
            parentId: parent?.id ?? null,
            name: ancestor.slice(ancestor.lastIndexOf('/') + 1),
            path: ancestor,
            created: now,
          }
          await this.deps.groups.insert(group)
          await this.deps.events.append({
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
  async ensureNamespace(
    path: string,
    ownerProvider: string,
    ownerProviderUserId: string,
    actor: Actor = ADMIN,
    options: { addOwner?: boolean } = {},
  ): Promise<NamespaceResult> {
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
    const label = `${ownerProvider}:${ownerProviderUserId}`
    return this.ensureOwned(
      path,
      now => this.deps.users.ensureForIdentity(ownerProvider, ownerProviderUserId, now),
      label,
      actor,
      options,
    )
  }

  /**
   * The same for an account that exists already, named by its id: the only
   * name of an account made with a passkey (docs/passkeys.md).
   */
  async ensureNamespaceOwnedBy(
    path: string,
    userId: string,
    actor: Actor = ADMIN,
    options: { addOwner?: boolean } = {},
  ): Promise<NamespaceResult> {
    checkPath(path, 'namespace path')
    const owner = async (): Promise<User> => {
      const user = await this.deps.users.get(userId)
      if (!user) throw new errors.NotFound(`no account has the id ${userId}`)
      return user
    }
    return this.ensureOwned(path, owner, `user ${userId}`, actor, options)
  }

  private async ensureOwned(
    path: string,
    findOwner: (now: number) => Promise<User>,
    ownerLabel: string,
    actor: Actor,
    options: { addOwner?: boolean },
  ): Promise<NamespaceResult> {
    const now = this.deps.clock.now()
    const actorId = actingUser(actor)
    const result = await this.deps.db.transaction(async () => {
      await claimForApp(this.deps, actor, path, now)
      const owner = await findOwner(now)
      const { group, created } = await this.ensurePath(path, actorId, now)
      let membership = await this.deps.memberships.ownerMembership(owner.id, group.id)
      const createdMembership = !membership
      if (!membership) {
        const others = await this.deps.memberships.owners([group.path], now)
        if (others.length > 0 && !options.addOwner) {
          const names: string[] = []
          for (const other of others) names.push((await this.deps.users.get(other.userId))?.name ?? other.userId)
          throw new errors.Conflict(
            `${group.path} is owned by ${names.join(', ')} already; to add ${ownerLabel} ` +
              'as another owner, say so (--add-owner)',
          )
        }
        const id = randomUUID()
        await this.deps.memberships.insert({
          id,
          userId: owner.id,
          groupId: group.id,
          invitationId: null,
          until: null,
          spots: null,
          deauthorizes: 2,
          dos: null,
          owner: true,
          appId: actingApp(actor),
          created: now,
        })
        await this.deps.events.append({
          groupId: group.id,
          kind: 'owner_added',
          actorId,
          subjectId: owner.id,
          membershipId: id,
          created: now,
          detail: { owner: ownerLabel, ...actorDetail(actor) },
        })
        await logMembershipChange(this.deps, { id, userId: owner.id, path: group.path }, now)
        membership = (await this.deps.memberships.get(id))!
      }
      return { group, owner, membership, createdGroups: created.map(g => g.path), createdMembership }
    })
    if (result.createdMembership) await this.deps.announce()
    return result
  }
}
