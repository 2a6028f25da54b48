import { AsyncLocalStorage } from 'node:async_hooks'
import { errors } from '../errors.js'

/**
 * What repositories are written against: one SQL dialect for both engines
 * (`?` placeholders, double-quoted camelCase aliases, 0/1 flags, `RETURNING`,
 * `ON CONFLICT`), run by an engine below (`sqlite.ts`, `postgres.ts`). All
 * SQL of the server lives in `src/storage/`; nothing above it knows the
 * engine (docs/operating.md, "Running several nodes").
 */
export type SqlValue = string | number | boolean | null | Buffer

export interface Sql {
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>
  one<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>
  /** Runs a statement; answers how many rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>
}

export type Engine = 'sqlite' | 'postgres'

/**
 * A database: the SQL of the calling context, transactions, and (on
 * PostgreSQL) notifications between nodes.
 */
export interface Database {
  readonly engine: Engine
  /**
   * The SQL of the calling context: inside `transaction`, that transaction's
   * connection (so repositories called by the work join it), else any.
   */
  readonly sql: Sql
  /** Whether the calling context runs inside `transaction`. */
  readonly inTransaction: boolean
  /**
   * Runs `work` in one transaction that check-then-update rules can rely
   * on: write transactions take turns (BEGIN IMMEDIATE on SQLite, one
   * transaction-scoped advisory lock on PostgreSQL), so what `work` reads
   * stays true until it commits, on every node. Rolls back when `work`
   * throws. Called inside a transaction, it joins it.
   */
  transaction<T>(work: () => Promise<T>): Promise<T>
  /**
   * Runs `effect` once the calling context's transaction has committed
   * (at once outside a transaction, resolving when it is done; never when
   * the transaction rolls back). For what must not happen before the change
   * is visible to others: announcing it. The transaction's promise settles
   * after its effects have.
   */
  afterCommit(effect: () => Promise<void> | void): Promise<void> /**
   * Tells every node listening on `channel` (PostgreSQL `NOTIFY`); inside a
   * transaction, when it commits. SQLite has no other nodes: a no-op.
   */
  notify(channel: string, payload: string): Promise<void>
  /**
   * Calls `onMessage` for each notification on `channel` (on PostgreSQL,
   * over a connection of its own that is re-established after an outage,
   * `onReconnect` then telling the caller that some may have been missed).
   * Answers how to stop. SQLite: never called back.
   */
  listen(channel: string, onMessage: (payload: string) => void, onReconnect: () => void): Promise<() => Promise<void>>
  /** Throws when the database cannot be reached (readiness). */
  ping(): Promise<void>
  /** Where the data is, for messages (a file, or a PostgreSQL URL without its password). */
  readonly description: string
  close(): Promise<void>
}

/** The transaction an async context runs in; `open` turns false at its end, after which its context falls back to the pool. */
export interface TransactionScope {
  sql: Sql
  open: boolean
  effects: (() => Promise<void> | void)[]
}

/** Keeps which transaction each async context runs in, for the engines. */
export class TransactionContext {
  private readonly storage = new AsyncLocalStorage<TransactionScope>()
  /** Transactions under way; with none, the storage is disabled (below). */
  private running = 0

  /** The open transaction of the calling context, if any. */
  current(): TransactionScope | undefined {
    const scope = this.storage.getStore()
    return scope?.open ? scope : undefined
  }

  /** A scope for a new transaction over `sql`. */
  scope(sql: Sql): TransactionScope {
    return { sql, open: true, effects: [] }
  }

  /** Runs `work` as part of `scope`; the scope closes when `work` settles. */
  async run<T>(scope: TransactionScope, work: () => Promise<T>): Promise<T> {
    this.running++
    try {
      return await this.storage.run(scope, work)
    } finally {
      scope.open = false
      // An enabled AsyncLocalStorage makes Node run a hook for every promise any request creates; with no
      // transaction under way there is nothing to propagate (an ended scope reads as none either way).
      if (--this.running === 0) this.storage.disable()
    }
  }

  /** Defers `effect` to the commit of the calling context's transaction; runs it now outside one. */
  async afterCommit(effect: () => Promise<void> | void): Promise<void> {
    const scope = this.current()
    if (scope) scope.effects.push(effect)
    else await effect()
  }

  /** Runs a committed transaction's effects, outside its context. */
  static async settle(scope: TransactionScope): Promise<void> {
    for (const effect of scope.effects) await effect()
  }
}

/** How long a write transaction waits for the write lock unless told (`LOGIN_DATABASE_LOCK_TIMEOUT_MS`). */
export const DEFAULT_LOCK_TIMEOUT_MS = 5000

/** The answer to a write that waited its whole time (`LOGIN_DATABASE_LOCK_TIMEOUT_MS`) for the write lock, on either engine. */
export function writeLockBusy(waitMs: number): Error {
  return new errors.Unavailable(
    `the database's write lock was not free within ${waitMs} ms (LOGIN_DATABASE_LOCK_TIMEOUT_MS); try again shortly`,
  )
}

/** Whether a statement was refused by a unique index (SQLite's and PostgreSQL's own codes). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505'
}
