import type { Clock } from '../clock.js'
import { errors } from '../errors.js'
import type { RevocationFeed } from '../revocation-feed.js'
import type { AccessRule, AccessRuleStore, RuleEvent, RuleSpec } from '../storage/access-rules.js'
import type { Database } from '../storage/database.js'
import type { RevocationStore } from '../storage/revocations.js'
import { SerialReads } from '../serial-reads.js'
import { RuleMatcher } from './matcher.js'
import { planImport, type ImportPlan } from './import-plan.js'

/** What rules are kept and announced with. */
export interface RuleDeps {
  db: Database
  clock: Clock
  store: AccessRuleStore
  revocations: RevocationStore
  feed: RevocationFeed
  log: { error(data: object, message: string): void }
}

/** Who changes rules, for the audit log (`cli (user root)`), and the file an import came from. */
export interface RuleChanger {
  actor: string
  source?: string
}

/**
 * The access rules of forward-auth (docs/forward-auth.md, "Access rules"):
 * kept in the database, changed in one transaction each, and announced
 * through the revocation feed (a `rules` entry), upon which every node
 * reads them again and compiles a new {@link RuleMatcher}. `/login/check`
 * asks {@link matcher}, which is replaced whole, never edited.
 */
export class RuleService {
  private current: RuleMatcher = new RuleMatcher([])
  private readonly reads = new SerialReads(() => this.load())

  constructor(private readonly deps: RuleDeps) {
    deps.feed.on('revocation', entry => {
      if (entry.kind === 'rules') void this.reload()
    })
  }

  /** The rules as compiled now. */
  get matcher(): RuleMatcher {
    return this.current
  }

  /**
   * Reads and compiles the rules; calls during a read share one more read
   * after it (which sees every change announced before the call). Failures
   * are logged and keep the rules this node has.
   */
  reload(): Promise<void> {
    return this.reads.run()
  }

  private async load(): Promise<void> {
    try {
      this.current = new RuleMatcher(await this.deps.store.all())
    } catch (error) {
      this.deps.log.error({ err: error }, 'could not read the access rules; the ones this node has stay in force')
    }
  }

  /**
   * The `allow` rules a membership of the group at `path` can open: those
   * whose expression names it or a group below it (a member of a group is
   * a member of every group below), in list order.
   */
  opening(path: string): AccessRule[] {
    const below = `${path}/`
    return this.current.rules
      .filter(({ groups }) => groups.some(group => group === path || group.startsWith(below)))
      .map(({ rule }) => rule)
  }

  list(): Promise<AccessRule[]> {
    return this.deps.store.all()
  }

  /** Adds a rule at the end, or before the rule `before`. */
  add(spec: RuleSpec, by: RuleChanger, before?: number): Promise<AccessRule> {
    return this.change(async now => {
      const count = await this.deps.store.count()
      const position = before === undefined ? count + 1 : (await this.existing(before)).position
      await this.deps.store.shift(position, count, 1)
      const rule = await this.deps.store.insert(spec, position, now)
      await this.log(by, now, rule.id, 'added', null, rule)
      return rule
    })
  }

  /** Moves rule `id` to just before rule `before`. */
  move(id: number, before: number, by: RuleChanger): Promise<AccessRule> {
    if (id === before) throw new errors.BadRequest('a rule cannot be moved before itself')
    return this.change(async now => {
      const rule = await this.existing(id)
      const target = (await this.existing(before)).position
      const position = rule.position < target ? target - 1 : target
      if (rule.position < target) await this.deps.store.shift(rule.position + 1, target - 1, -1)
      else await this.deps.store.shift(target, rule.position - 1, 1)
      await this.deps.store.setPosition(id, position)
      const moved = { ...rule, position }
      await this.log(by, now, id, 'moved', rule, moved)
      return moved
    })
  }

  remove(id: number, by: RuleChanger): Promise<AccessRule> {
    return this.change(async now => {
      const rule = await this.existing(id)
      await this.deps.store.remove(id)
      await this.deps.store.shift(rule.position + 1, Number.MAX_SAFE_INTEGER, -1)
      await this.log(by, now, id, 'removed', rule, null)
      return rule
    })
  }

  /** What importing `specs` would change, without changing anything. */
  async plan(specs: readonly RuleSpec[]): Promise<ImportPlan> {
    return planImport(await this.deps.store.all(), specs)
  }

  /**
   * Makes the rules exactly `specs`, in that order, all at once or not at
   * all: rules equal to one of the file keep their id, the others are
   * removed, the file's new ones added. Answers what it changed.
   */
  import(specs: readonly RuleSpec[], by: RuleChanger): Promise<ImportPlan> {
    return this.change(async now => {
      const before = await this.deps.store.all()
      const plan = planImport(before, specs)
      const byId = new Map(before.map(rule => [rule.id, rule]))
      for (const rule of plan.removed) {
        await this.deps.store.remove(rule.id)
        await this.log(by, now, rule.id, 'removed', rule, null)
      }
      const moved = new Set(plan.moved.map(rule => rule.id))
      for (const [index, place] of plan.order.entries()) {
        const position = index + 1
        if (typeof place === 'number') {
          const rule = byId.get(place)!
          if (rule.position === position) continue
          await this.deps.store.setPosition(place, position)
          if (moved.has(place)) await this.log(by, now, place, 'moved', rule, { ...rule, position })
        } else {
          const rule = await this.deps.store.insert(place, position, now)
          await this.log(by, now, rule.id, 'added', null, rule)
        }
      }
      return plan
    })
  }

  /** The audit log of rule changes, newest first. */
  events(limit: number, before = Number.MAX_SAFE_INTEGER): Promise<RuleEvent[]> {
    return this.deps.store.events(before, limit)
  }

  /** Runs a change in one transaction that announces it, then waits until this node applies it. */
  private async change<T>(work: (now: number) => Promise<T>): Promise<T> {
    const now = this.deps.clock.now()
    const result = await this.deps.db.transaction(async () => {
      const answer = await work(now)
      await this.deps.revocations.append('rules', '', '', now)
      await this.deps.db.afterCommit(() => this.deps.feed.poll())
      return answer
    })
    await this.reload()
    return result
  }

  private async existing(id: number): Promise<AccessRule> {
    const rule = await this.deps.store.get(id)
    if (!rule) throw new errors.NotFound(`No rule ${id} (rule list shows their ids)`)
    return rule
  }

  private log(
    by: RuleChanger,
    created: number,
    ruleId: number,
    action: RuleEvent['action'],
    before: AccessRule | null,
    after: AccessRule | null,
  ): Promise<void> {
    return this.deps.store.logEvent({
      ruleId,
      action,
      actor: by.actor,
      source: by.source ?? null,
      before,
      after,
      created,
    })
  }
}
