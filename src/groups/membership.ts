import { randomUUID } from 'node:crypto'
import { errors } from '../errors.js'
import type { Membership } from '../storage/memberships.js'
import { actingApp, actingUser, actorDetail, ADMIN, type Actor } from './actor.js'
import { assertAppManages } from './app-scope.js'
import { logMembershipChange } from './changes.js'
import { endWithCascade } from './end-membership.js'
import type { GroupDeps } from './group-deps.js'
import type { GroupExpression } from 'modular-login-client/protocol'
import { evaluate, parseExpression, pathsOf } from './expressions.js'
import { inChunks } from './in-chunks.js'
import { MAX_COUNT, MAX_TIME, optionalInteger, deauthorizesLevel } from '../field-checks.js'
import { ancestorPaths, checkPath } from './group-paths.js'
import { assertOwnersRemain } from './owners.js'
import type { GroupTree } from './tree.js'

/** A user's answer to an expression (MembershipService.judge). */
export interface Judgement {
  member: boolean
  /** The paths the expression names that the user holds (in it or an ancestor), in the expression's order. */
  held: string[]
  /** When the first membership the answer rests on ends (Unix seconds); null when none ends. */
  until: number | null
}

/** Limits of a direct grant; by default access without end and without the right to admit anyone. */
export interface GrantOptions {
  until?: number | null
  spots?: number | null
  deauthorizes?: number
  dos?: number | null
}

/**
 * Membership checks, a user's memberships, and the direct grants and
 * removals that apps make (the seed's `add_access` / `remove_access`).
 */
export class MembershipService {
  constructor(
    private readonly deps: GroupDeps,
    private readonly tree: GroupTree,
  ) {}

  /**
   * Whether the user is a member of the group at `path`: an active,
   * unexpired membership in it or an ancestor. A path naming no group (or
   * no valid path at all) is simply not held.
   */
  isMember(userId: string, path: string): Promise<boolean> {
    return this.satisfies(userId, path)
  }

  /**
   * Whether the user satisfies a parsed expression. Ancestry comes from
   * the paths themselves (their prefixes, whose ids are memoised), so the
   * whole expression costs one indexed statement, never a tree walk: which
   * of the named groups and their ancestors the user holds. The expression
   * is then evaluated against that answer.
   */
  async satisfies(userId: string, expression: GroupExpression): Promise<boolean> {
    return (await this.judge(userId, expression)).member
  }

  /**
   * {@link satisfies}, with which of the paths the expression names the
   * user holds and until when the answer stays true unless a change is
   * announced (the first end among the memberships it rests on; null:
   * until then).
   */
  async judge(userId: string, expression: GroupExpression): Promise<Judgement> {
    const paths = pathsOf(expression)
    const lineages = await this.tree.lineageIds(paths)
    const ids = new Set<string>()
    for (const lineage of lineages.values()) for (const id of lineage ?? []) ids.add(id)
    const now = this.deps.clock.now()
    const held = new Map(await inChunks([...ids], chunk => this.deps.memberships.heldAmong(userId, chunk, now)))
    let until: number | null = null
    for (const end of held.values()) if (end !== null && (until === null || end < until)) until = end
    const holds = (path: string) => lineages.get(path)?.some(id => held.has(id)) ?? false
    return { member: evaluate(expression, holds), held: paths.filter(holds), until }
  }

  /**
   * Whether the user holds an expression in text or JSON form (what
   * `/login/check?group=` asks). Bad syntax is `LOGIN_ERR_BAD_EXPRESSION`.
   */
  async holds(userId: string, expression: unknown): Promise<boolean> {
    return this.satisfies(userId, parseExpression(expression))
  }

  /** The user's active, unexpired memberships. */
  current(userId: string): Promise<Membership[]> {
    return this.deps.memberships.currentOf(userId, this.deps.clock.now())
  }

  /**
   * A user's power over a group (docs/access-groups.md, "Who may remove whom"): the highest `deauthorizes` of
   * their current memberships in it or its ancestors; null when they hold
   * none (not a member).
   */
  powerOver(userId: string, path: string): Promise<number | null> {
    return this.deps.memberships.highestPower(userId, ancestorPaths(path), this.deps.clock.now())
  }

  /**
   * Grants a user a membership of `path` directly (no invitation),
   * creating the path on demand: by an app inside its namespaces, or by
   * the administrator.
   */
  async grant(userId: string, path: string, options: GrantOptions = {}, actor: Actor = ADMIN): Promise<Membership> {
    checkPath(path)
    const now = this.deps.clock.now()
    const until = optionalInteger(options.until, 'until', 0, MAX_TIME)
    if (until !== null && until <= now) throw new errors.BadRequest('until must be in the future')
    const spots = options.spots === undefined ? 0 : optionalInteger(options.spots, 'spots', 0, MAX_COUNT)
    const dos = optionalInteger(options.dos, 'dos', 1, MAX_COUNT)
    const deauthorizes = deauthorizesLevel(options.deauthorizes, 'deauthorizes')
    const actorId = actingUser(actor)
    const granted = await this.deps.db.transaction(async () => {
      await assertAppManages(this.deps, actor, path)
      if (!(await this.deps.users.get(userId))) throw new errors.NotFound(`No user ${userId}`)
      const { group } = await this.tree.ensurePath(path, actorId, now)
      const id = randomUUID()
      await this.deps.memberships.insert({
        id,
        userId,
        groupId: group.id,
        invitationId: null,
        until,
        spots,
        deauthorizes,
        dos,
        owner: false,
        appId: actingApp(actor),
        created: now,
      })
      await this.deps.events.append({
        groupId: group.id,
        kind: 'member_granted',
        actorId,
        subjectId: userId,
        membershipId: id,
        created: now,
        detail: { until, spots, deauthorizes, dos, ...actorDetail(actor) },
      })
      await logMembershipChange(this.deps, { id, userId, path: group.path }, now)
      return (await this.deps.memberships.get(id))!
    })
    await this.deps.announce()
    return granted
  }

  /**
   * Ends a membership on behalf of an app (inside its namespaces) or the
   * administrator: no power check, but an owner is never the last to go.
   * With `cascade`, the memberships admitted below it end too. Answers the
   * ids of every membership ended.
   */
  async remove(membershipId: string, options: { cascade?: boolean } = {}, actor: Actor = ADMIN): Promise<string[]> {
    const now = this.deps.clock.now()
    const ended = await this.deps.db.transaction(async () => {
      const membership = await this.deps.memberships.get(membershipId)
      if (!membership) throw new errors.NotFound(`No membership ${membershipId}`)
      await assertAppManages(this.deps, actor, membership.path)
      if (!membership.active) throw new errors.Conflict(`Membership ${membershipId} was already removed`)
      await assertOwnersRemain(this.deps, [membership], now)
      const ending = { kind: 'member_removed', actorId: actingUser(actor), reason: 'removed' } as const
      return endWithCascade(this.deps, membership, ending, options.cascade === true, now)
    })
    await this.deps.announce()
    return ended
  }
}
