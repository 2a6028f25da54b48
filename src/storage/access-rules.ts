import type { Database } from './database.js'

/** What a rule answers when it matches (docs/forward-auth.md, "Access rules"). */
export type RuleOutcome = 'allow' | 'public' | 'deny'

/** A rule as written: which requests it matches and what it answers. */
export interface RuleSpec {
  /** `app.example.org`, `*.example.org` (any subdomain, at any depth) or `*` (every host). */
  host: string
  /** A prefix (`/app`: `/app` and below) or a glob (`/app/*.php`); null = every path. */
  path: string | null
  /** Upper-case method names; null = every method. */
  methods: string[] | null
  outcome: RuleOutcome
  /** The group expression (text form) of an `allow` rule; null otherwise. */
  expression: string | null
  /** An `allow` rule only: the session must have begun with a passkey. */
  requirePasskey: boolean
}

/** A stored rule: tried at its `position` (1 first). */
export interface AccessRule extends RuleSpec {
  id: number
  position: number
  created: number
}

export type RuleAction = 'added' | 'moved' | 'removed'

/** One entry of the rules' audit log. */
export interface RuleEvent {
  id: number
  ruleId: number
  action: RuleAction
  /** Who made the change, as the caller described them (`cli (user root)`). */
  actor: string
  /** The file of `rule import` the change came from; null otherwise. */
  source: string | null
  /** The rule before and after the change; null when it did not exist then. */
  before: AccessRule | null
  after: AccessRule | null
  created: number
}

interface RuleRow extends Omit<RuleSpec, 'methods' | 'requirePasskey'> {
  id: number
  position: number
  created: number
  methods: string | null
  requirePasskey: number
}

const COLUMNS = `id, position, host, path, methods, outcome, expression, require_passkey AS "requirePasskey", created`

function toRule(row: RuleRow): AccessRule {
  return {
    ...row,
    methods: row.methods === null ? null : row.methods.split(','),
    requirePasskey: row.requirePasskey === 1,
  }
}

type EventRow = Omit<RuleEvent, 'before' | 'after'> & { before: string | null; after: string | null }

/**
 * The access rules of forward-auth and their audit log. Positions are kept
 * 1…n by the caller (RuleService), which shifts them inside one transaction.
 */
export class AccessRuleStore {
  constructor(private readonly db: Database) {}

  /** Every rule, in the order they are tried. */
  async all(): Promise<AccessRule[]> {
    const rows = await this.db.sql.all<RuleRow>(`SELECT ${COLUMNS} FROM access_rules ORDER BY position, id`)
    return rows.map(toRule)
  }

  async get(id: number): Promise<AccessRule | undefined> {
    const row = await this.db.sql.one<RuleRow>(`SELECT ${COLUMNS} FROM access_rules WHERE id = ?`, [id])
    return row && toRule(row)
  }

  async count(): Promise<number> {
    return (await this.db.sql.one<{ n: number }>('SELECT COUNT(*) AS n FROM access_rules'))?.n ?? 0
  }

  /** Stores a rule at `position` (the caller made room) and answers it with its new id. */
  async insert(spec: RuleSpec, position: number, created: number): Promise<AccessRule> {
    const row = await this.db.sql.one<RuleRow>(
      `INSERT INTO access_rules (position, host, path, methods, outcome, expression, require_passkey, created)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${COLUMNS}`,
      [
        position,
        spec.host,
        spec.path,
        spec.methods?.join(',') ?? null,
        spec.outcome,
        spec.expression,
        spec.requirePasskey ? 1 : 0,
        created,
      ],
    )
    return toRule(row!)
  }

  /** Adds `delta` to the position of every rule from `from` to `to` (inclusive). */
  async shift(from: number, to: number, delta: number): Promise<void> {
    await this.db.sql.run('UPDATE access_rules SET position = position + ? WHERE position >= ? AND position <= ?', [
      delta,
      from,
      to,
    ])
  }

  async setPosition(id: number, position: number): Promise<void> {
    await this.db.sql.run('UPDATE access_rules SET position = ? WHERE id = ?', [position, id])
  }

  /** Deletes a rule; false when there was none. */
  async remove(id: number): Promise<boolean> {
    return (await this.db.sql.run('DELETE FROM access_rules WHERE id = ?', [id])) > 0
  }

  async logEvent(event: Omit<RuleEvent, 'id'>): Promise<void> {
    await this.db.sql.run(
      `INSERT INTO access_rule_events (rule_id, action, actor, source, old_rule, new_rule, created)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [
        event.ruleId,
        event.action,
        event.actor,
        event.source,
        event.before && JSON.stringify(event.before),
        event.after && JSON.stringify(event.after),
        event.created,
      ],
    )
  }

  /** The audit log, newest first, ids below `before`. */
  async events(before: number, limit: number): Promise<RuleEvent[]> {
    const rows = await this.db.sql.all<EventRow>(
      `SELECT id, rule_id AS "ruleId", action, actor, source, old_rule AS "before", new_rule AS "after", created
       FROM access_rule_events WHERE id < ? ORDER BY id DESC LIMIT ?`,
      [before, limit],
    )
    return rows.map(row => ({
      ...row,
      before: row.before === null ? null : (JSON.parse(row.before) as AccessRule),
      after: row.after === null ? null : (JSON.parse(row.after) as AccessRule),
    }))
  }
}
