import BetterSqlite3, { type Statement } from 'better-sqlite3'
import { chmodSync, closeSync, mkdirSync, openSync, readdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import {
  DEFAULT_LOCK_TIMEOUT_MS,
  TransactionContext,
  writeLockBusy,
  type Database,
  type Sql,
  type SqlValue,
} from './database.js'
import { pendingMigrations } from './migrations.js'

/** better-sqlite3 binds no booleans: flags are stored as 0/1. */
function bindable(params: readonly SqlValue[]): unknown[] {
  return params.map(value => (typeof value === 'boolean' ? (value ? 1 : 0) : value))
}

/**
 * The embedded engine: one SQLite file (WAL, foreign keys on) under `run/`,
 * shared by the server processes of one machine.
 *
 * better-sqlite3 is synchronous, while a transaction's work is
 * asynchronous: so within a process the transactions on one file take
 * turns, and a statement from outside a transaction waits while one is open
 * (else it would run inside it, seeing or being rolled back with its
 * changes, or, on another connection to the file, block the whole process
 * waiting for a lock that only this process can release). `BEGIN IMMEDIATE`
 * makes other processes' transactions take turns with ours; `busy_timeout`
 * makes them queue instead of failing.
 */
export class SqliteDatabase implements Database {
  readonly engine = 'sqlite' as const
  readonly description: string
  private readonly connection: BetterSqlite3.Database
  private readonly statements = new Map<string, Statement>()
  private readonly transactions = new TransactionContext()
  /** The turns of every connection of this process to the same file. */
  private readonly turns: Turns
  private readonly direct: Sql
  private readonly waiting: Sql

  /** A write transaction waits at most `lockTimeoutMs` for another process's to end, then fails with `LOGIN_ERR_UNAVAILABLE`. */
  constructor(
    path: string,
    private readonly lockTimeoutMs = DEFAULT_LOCK_TIMEOUT_MS,
  ) {
    if (path !== ':memory:') makePrivate(path)
    this.description = path
    this.turns = turnsOf(path)
    this.connection = new BetterSqlite3(path)
    this.connection.pragma('journal_mode = WAL')
    this.connection.pragma('foreign_keys = ON')
    this.connection.pragma(`busy_timeout = ${Math.floor(lockTimeoutMs)}`)
    this.connection.pragma('synchronous = NORMAL')
    this.direct = {
      all: async <T>(sql: string, params: readonly SqlValue[] = []) =>
        this.prepare(sql).all(...bindable(params)) as T[],
      one: async <T>(sql: string, params: readonly SqlValue[] = []) =>
        this.prepare(sql).get(...bindable(params)) as T | undefined,
      run: async (sql: string, params: readonly SqlValue[] = []) => this.prepare(sql).run(...bindable(params)).changes,
    }
    this.waiting = {
      all: (sql, params) => this.outside(() => this.direct.all(sql, params)),
      one: (sql, params) => this.outside(() => this.direct.one(sql, params)),
      run: (sql, params) => this.outside(() => this.direct.run(sql, params)),
    }
    this.migrate()
  }

  get sql(): Sql {
    return this.transactions.current() ? this.direct : this.waiting
  }

  get inTransaction(): boolean {
    return this.transactions.current() !== undefined
  }

  transaction<T>(work: () => Promise<T>): Promise<T> {
    if (this.transactions.current()) return work()
    const scope = this.transactions.scope(this.direct)
    const turns = this.turns
    const next = turns.last.then(async () => {
      turns.busy = true
      try {
        this.connection.exec('BEGIN IMMEDIATE')
      } catch (error) {
        turns.busy = false
        throw (error as { code?: unknown }).code === 'SQLITE_BUSY' ? writeLockBusy(this.lockTimeoutMs) : error
      }
      try {
        const result = await this.transactions.run(scope, work)
        this.connection.exec('COMMIT')
        return result
      } catch (error) {
        if (this.connection.inTransaction) this.connection.exec('ROLLBACK')
        throw error
      } finally {
        turns.busy = false
      }
    })
    turns.last = next.catch(() => undefined)
    return next.then(async result => {
      await TransactionContext.settle(scope)
      return result
    })
  }

  afterCommit(effect: () => Promise<void> | void): Promise<void> {
    return this.transactions.afterCommit(effect)
  }

  async notify(): Promise<void> {}

  async listen(): Promise<() => Promise<void>> {
    return async () => {}
  }

  async ping(): Promise<void> {
    this.connection.prepare('SELECT 1').get()
  }

  async close(): Promise<void> {
    await this.turns.last
    this.connection.close()
  }

  /** A statement from outside any transaction: at once, or after the transaction under way. */
  private outside<T>(statement: () => Promise<T>): Promise<T> {
    if (!this.turns.busy) return statement()
    const after = this.turns.last.then(statement)
    this.turns.last = after.catch(() => undefined)
    return after
  }

  private prepare(sql: string): Statement {
    let statement = this.statements.get(sql)
    if (!statement) {
      statement = this.connection.prepare(sql)
      this.statements.set(sql, statement)
    }
    return statement
  }

  /** Applies the numbered migrations it has not seen, all in one `BEGIN IMMEDIATE` (two processes starting together take turns). */
  private migrate(): void {
    this.connection
      .transaction(() => {
        const current = this.connection.pragma('user_version', { simple: true }) as number
        for (const migration of pendingMigrations('sqlite', current)) {
          this.connection.exec(migration.sql)
          this.connection.pragma(`user_version = ${migration.version}`)
        }
      })
      .immediate()
  }
}

/** Whose turn it is on one file: what settles when the transaction under way (if any) has ended, and whether one is. */
interface Turns {
  last: Promise<unknown>
  busy: boolean
}

const turnsByFile = new Map<string, Turns>()

function turnsOf(path: string): Turns {
  if (path === ':memory:') return { last: Promise.resolve(), busy: false }
  let turns = turnsByFile.get(resolve(path))
  if (!turns) turnsByFile.set(resolve(path), (turns = { last: Promise.resolve(), busy: false }))
  return turns
}

/**
 * The database holds session ids, invitation ids (bearer links), signing
 * keys and secrets: its folder (`run/`) is 0700 and the files in it 0600 on
 * every start, whatever an older version or a wider umask left. SQLite
 * gives the -wal and -shm files it creates the database file's mode, so
 * the file is made private before it is opened.
 */
function makePrivate(path: string): void {
  const folder = dirname(path)
  mkdirSync(folder, { recursive: true, mode: 0o700 })
  chmodSync(folder, 0o700)
  closeSync(openSync(path, 'a', 0o600))
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    if (entry.isFile()) chmodSync(join(folder, entry.name), 0o600)
  }
}
