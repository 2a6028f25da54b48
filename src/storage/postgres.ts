import { createHash } from 'node:crypto'
import pg from 'pg'
import { errors } from '../errors.js'
import {
  TransactionContext,
  type Database,
  type Sql,
  type SqlValue,
  type TransactionScope,
  DEFAULT_LOCK_TIMEOUT_MS,
  writeLockBusy,
} from './database.js'
import { pendingMigrations } from './migrations.js'
import { WriteTurns } from './write-turns.js'

const INT8 = 20

/**
 * The key of one of a deployment's advisory locks (`purpose`: `write`, the
 * counterpart of SQLite's BEGIN IMMEDIATE, taken by every write
 * transaction; `migrate`, held while one node applies migrations). Derived
 * from the database's name and the schema the tables live in, so that two
 * deployments sharing a database never take each other's turns. Any role
 * that may connect can still take it: give the server a database of its
 * own that no other role may connect to (docs/operating.md, "Running
 * several nodes").
 */
function lockKey(purpose: string, database: string, schema: string): string {
  return createHash('sha256')
    .update(`modular-login ${purpose}\0${database}\0${schema}`)
    .digest()
    .readBigInt64BE(0)
    .toString()
}

// Counts, cursors and Unix times are BIGINT; all fit a JavaScript number.
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
}

/** SQLSTATE classes and Node error codes that mean "the database cannot be reached", not "this request is wrong". */
const UNREACHABLE = /^(08|57P0[1-3]|53300)/
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE'])
/** lock_not_available: the write lock was not free within `lock_timeout`. */
const LOCK_TIMEOUT = '55P03'

/**
 * A connection-level failure becomes `LOGIN_ERR_UNAVAILABLE` (503): the
 * request may be retried once the database is back. So does a pool that
 * had no connection to give within its time: a database that hangs
 * saturates the pool, and that is no error of the request.
 */
function unavailable(error: unknown): unknown {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown }
  const lost =
    (typeof code === 'string' && (UNREACHABLE.test(code) || NETWORK.has(code))) ||
    (typeof message === 'string' &&
      /Connection terminated|connection timeout|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(
        message,
      ))
  return lost ? new errors.Unavailable('the database cannot be reached; try again shortly') : error
}

/** Flags are stored as 0/1 on both engines (`src/storage/database.ts`). */
function flagAsNumber(value: SqlValue): unknown {
  return typeof value === 'boolean' ? (value ? 1 : 0) : value
}

/** The URL without its password or parameters (which may hold another), for messages and logs. */
function describe(url: string): string {
  try {
    const { protocol, username, password, host, pathname } = new URL(url)
    const user = username ? `${username}${password ? ':…' : ''}@` : ''
    return `${protocol}//${user}${host}${pathname}`
  } catch {
    return 'postgres://…'
  }
}

/**
 * Why a database could not be opened, as one line for the operator: the
 * driver's or the server's own words (a refused connection, an unknown
 * host or role, a wrong password), with the password cut out wherever
 * they might echo it.
 */
function cannotOpen(url: string, description: string, error: unknown): Error {
  let why = (error as Error | undefined)?.message ?? String(error)
  try {
    const { password } = new URL(url)
    for (const form of new Set([password, decodeURIComponent(password)])) if (form) why = why.replaceAll(form, '…')
  } catch {
    why = 'the URL cannot be read'
  }
  return new errors.Config(`LOGIN_DATABASE ${description} cannot be used: ${why}`)
}

/**
 * The engine of deployments with several nodes: every node points at one
 * PostgreSQL, which holds everything that is not per-request (docs/operating.md,
 * "Running several nodes"). Statements are prepared once per connection;
 * notifications go through a connection of their own that is opened again
 * after an outage.
 */
export class PostgresDatabase implements Database {
  readonly engine = 'postgres' as const
  readonly description: string
  private readonly pool: pg.Pool
  private readonly transactions = new TransactionContext()
  private readonly texts = new Map<string, { text: string; name: string }>()
  private readonly shared: Sql
  private readonly listeners = new Set<pg.Client>()
  private readonly turns = new WriteTurns()
  /** Set when the database is opened: the keys of this deployment's advisory locks ({@link lockKey}). */
  private writeLock = ''
  private closed = false

  private constructor(
    private readonly url: string,
    private readonly lockTimeoutMs: number,
  ) {
    this.description = describe(url)
    this.pool = new pg.Pool({
      connectionString: url,
      types,
      max: 10,
      connectionTimeoutMillis: 5000,
      application_name: 'modular-login',
    })
    // An idle connection that the server dropped is replaced on the next checkout; nothing to do here.
    this.pool.on('error', () => {})
    this.shared = this.runner(this.pool)
  }

  /**
   * Connects and applies pending migrations (one node at a time); a database
   * that cannot be used stops the start (`LOGIN_ERR_CONFIG`). A write
   * transaction waits at most `lockTimeoutMs` for its turn, then fails with
   * `LOGIN_ERR_UNAVAILABLE`.
   */
  static async open(url: string, { lockTimeoutMs = DEFAULT_LOCK_TIMEOUT_MS } = {}): Promise<PostgresDatabase> {
    const database = new PostgresDatabase(url, lockTimeoutMs)
    try {
      await database.migrate()
    } catch (error) {
      await database.close()
      throw cannotOpen(url, database.description, error)
    }
    return database
  }

  get sql(): Sql {
    return this.transactions.current()?.sql ?? this.shared
  }

  get inTransaction(): boolean {
    return this.transactions.current() !== undefined
  }

  async transaction<T>(work: () => Promise<T>): Promise<T> {
    if (this.transactions.current()) return work()
    // This process's turn first, then the deployment's lock, both within the one time allowed.
    const deadline = Date.now() + this.lockTimeoutMs
    const endTurn = await this.turns.take(this.lockTimeoutMs)
    let done: { result: T; scope: TransactionScope }
    try {
      done = await this.underWriteLock(work, deadline)
    } finally {
      endTurn()
    }
    await TransactionContext.settle(done.scope)
    return done.result
  }

  /** Runs `work` in a transaction that holds the deployment's write lock, waited for until `deadline` at most. */
  private async underWriteLock<T>(
    work: () => Promise<T>,
    deadline: number,
  ): Promise<{ result: T; scope: TransactionScope }> {
    let client: pg.PoolClient
    try {
      client = await this.pool.connect()
    } catch (error) {
      throw unavailable(error)
    }
    let broken = false
    const scope = this.transactions.scope(this.runner(client))
    try {
      await client.query('BEGIN')
      await client.query("SELECT set_config('lock_timeout', $1, true)", [`${Math.max(1, deadline - Date.now())}ms`])
      await client.query('SELECT pg_advisory_xact_lock($1)', [this.writeLock])
      const result = await this.transactions.run(scope, work)
      await client.query('COMMIT')
      return { result, scope }
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true
      })
      throw (error as { code?: unknown }).code === LOCK_TIMEOUT ? writeLockBusy(this.lockTimeoutMs) : unavailable(error)
    } finally {
      client.release(broken)
    }
  }

  afterCommit(effect: () => Promise<void> | void): Promise<void> {
    return this.transactions.afterCommit(effect)
  }

  async notify(channel: string, payload: string): Promise<void> {
    await this.sql.run('SELECT pg_notify(?, ?)', [channel, payload])
  }

  async listen(
    channel: string,
    onMessage: (payload: string) => void,
    onReconnect: () => void,
  ): Promise<() => Promise<void>> {
    let client: pg.Client | null = null
    let stopped = false
    let delay = 100
    const connect = async (again: boolean): Promise<void> => {
      if (stopped || this.closed) return
      const next = new pg.Client({ connectionString: this.url, types, application_name: 'modular-login listen' })
      const retry = () => {
        this.listeners.delete(next)
        next.removeAllListeners()
        next.end().catch(() => {})
        if (client === next) client = null
        if (stopped || this.closed) return
        setTimeout(() => void connect(true), delay).unref()
        delay = Math.min(delay * 2, 5000)
      }
      next.on('error', retry)
      next.on('end', () => client === next && retry())
      next.on('notification', message => {
        if (message.channel === channel) onMessage(message.payload ?? '')
      })
      try {
        await next.connect()
        await next.query(`LISTEN "${channel.replace(/"/g, '""')}"`)
      } catch {
        return retry()
      }
      client = next
      this.listeners.add(next)
      delay = 100
      if (again) onReconnect()
    }
    await connect(false)
    return async () => {
      stopped = true
      if (client) {
        this.listeners.delete(client)
        client.removeAllListeners()
        await client.end().catch(() => {})
      }
    }
  }

  async ping(): Promise<void> {
    await this.shared.one('SELECT 1 AS "one"')
  }

  async close(): Promise<void> {
    this.closed = true
    for (const client of this.listeners) {
      client.removeAllListeners()
      await client.end().catch(() => {})
    }
    await this.pool.end().catch(() => {})
  }

  /** SQL over a pool or one client: `?` placeholders become `$n`, and each text is a named statement, prepared once per connection. */
  private runner(target: pg.Pool | pg.PoolClient): Sql {
    const query = async <T>(
      sql: string,
      params: readonly SqlValue[],
    ): Promise<pg.QueryResult<T & pg.QueryResultRow>> => {
      try {
        return await target.query<T & pg.QueryResultRow>({ ...this.statement(sql), values: params.map(flagAsNumber) })
      } catch (error) {
        throw unavailable(error)
      }
    }
    return {
      all: async <T>(sql: string, params: readonly SqlValue[] = []) => (await query<T>(sql, params)).rows as T[],
      one: async <T>(sql: string, params: readonly SqlValue[] = []) =>
        (await query<T>(sql, params)).rows[0] as T | undefined,
      run: async (sql, params = []) => (await query(sql, params)).rowCount ?? 0,
    }
  }

  private statement(sql: string): { text: string; name: string } {
    let statement = this.texts.get(sql)
    if (!statement) {
      let n = 0
      statement = { text: sql.replace(/\?/g, () => `$${++n}`), name: `s${this.texts.size}` }
      this.texts.set(sql, statement)
    }
    return statement
  }

  private async migrate(): Promise<void> {
    const client = await this.pool.connect()
    let migrationLock: string | null = null
    try {
      const { rows: names } = await client.query<{ database: string; schema: string }>(
        `SELECT current_database() AS "database", COALESCE(current_schema(), '') AS "schema"`,
      )
      const { database, schema } = names[0]!
      this.writeLock = lockKey('write', database, schema)
      migrationLock = lockKey('migrate', database, schema)
      await client.query('SELECT pg_advisory_lock($1)', [migrationLock])
      await client.query(
        `CREATE TABLE IF NOT EXISTS schema_migrations (
           version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied BIGINT NOT NULL)`,
      )
      const { rows } = await client.query<{ version: number | null }>(
        'SELECT MAX(version) AS version FROM schema_migrations',
      )
      for (const migration of pendingMigrations('postgres', rows[0]?.version ?? 0)) {
        await client.query('BEGIN')
        try {
          await client.query(migration.sql)
          await client.query('INSERT INTO schema_migrations (version, name, applied) VALUES ($1, $2, $3)', [
            migration.version,
            migration.name,
            Math.floor(Date.now() / 1000),
          ])
          await client.query('COMMIT')
        } catch (error) {
          await client.query('ROLLBACK')
          throw error
        }
      }
    } finally {
      if (migrationLock !== null) await client.query('SELECT pg_advisory_unlock($1)', [migrationLock]).catch(() => {})
      client.release()
    }
  }
}
