/**
 * `npm run bench:pg-drivers`: node-postgres (`pg`) against postgres.js (`postgres`), on one private PostgreSQL
 * cluster (started as the tests start theirs) and one database, in one run:
 *
 *   select   a point SELECT by primary key: latency of one caller, then throughput and latency with
 *            --concurrency callers sharing a pool of as many connections
 *   write    BEGIN, pg_advisory_xact_lock (one key for every writer, as SQLite's BEGIN IMMEDIATE), SELECT,
 *            UPDATE, INSERT … RETURNING, COMMIT: transactions a second with --concurrency callers
 *   notify   from sending `SELECT pg_notify(…)` (autocommit) on a pooled connection to the LISTEN callback,
 *            one notification at a time
 *
 * Each driver runs twice, with and without prepared statements (`pg`: a named query per SQL text;
 * `postgres`: `unsafe(text, params, { prepare })`, which is how SQL written as strings reaches it). They take
 * turns phase by phase so that a busy neighbour slows all alike; each ratio is the median of per-round ratios
 * against the first contender: of operations a second with --concurrency callers, of the median latency for
 * the others.
 *
 * Then, once per driver, what it makes of the server going away and coming back (a fast shutdown during a
 * query, queries while it is down, a restart): the error shapes, whether its pool and its LISTEN recover
 * without help, and how it hands back BIGINT and bytea.
 *
 * Options: --rounds <n> (5), --duration <seconds> per measurement (2), --concurrency <n> (16),
 * --notifications <n> per round (300), --downtime <seconds> without a server (10).
 */
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import pg from 'pg'
import postgres from 'postgres'
import { startPostgres, type PostgresCluster } from '../test/helpers/postgres.js'
import { median } from './support.js'

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    duration: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '16' },
    notifications: { type: 'string', default: '300' },
    downtime: { type: 'string', default: '10' },
  },
})
const rounds = Number(values.rounds)
const seconds = Number(values.duration)
const concurrency = Number(values.concurrency)
const notifications = Number(values.notifications)
const downtime = Number(values.downtime)

const ITEMS = 10_000
const WRITE_LOCK = 42
const SELECT_ITEM = 'SELECT id, name, counter FROM items WHERE id = $1'

type Row = Record<string, unknown>
type Query = (text: string, params?: unknown[]) => Promise<Row[]>

/** One driver in one configuration, reduced to what the storage layer will ask of it. */
interface Contender {
  name: string
  query: Query
  /** Runs `work` in one transaction on one connection; commits when it resolves, rolls back when it throws. */
  transaction<T>(work: (query: Query) => Promise<T>): Promise<T>
  /** Subscribes on the driver's dedicated connection; `onEvent` hears what happens to that subscription. */
  listen(channel: string, onPayload: (payload: string) => void, onEvent: (event: string) => void): Promise<void>
  /** What the driver reported outside any query (pool errors, closed connections). */
  events: string[]
  close(): Promise<void>
}

/** node-postgres: a Pool for queries and transactions, one Client of its own for LISTEN. */
function nodePostgres(url: string, prepared: boolean, max = concurrency): Contender {
  const events: string[] = []
  const pool = new pg.Pool({ connectionString: url, max })
  // An idle pooled connection that breaks is reported here; without a listener it would crash the process.
  pool.on('error', error => events.push(`pool 'error': ${shape(error)}`))
  const names = new Map<string, string>()
  const nameOf = (text: string) => {
    if (!names.has(text)) names.set(text, `q${names.size + 1}`)
    return names.get(text)!
  }
  const on = (client: pg.Pool | pg.PoolClient | pg.Client): Query => {
    return async (text, params = []) => {
      const result = prepared
        ? await client.query({ name: nameOf(text), text, values: params })
        : await client.query(text, params)
      return result.rows as Row[]
    }
  }
  const listeners: pg.Client[] = []
  return {
    name: prepared ? 'pg named' : 'pg',
    query: on(pool),
    async transaction(work) {
      const client = await pool.connect()
      let broken: Error | undefined
      try {
        await client.query('BEGIN')
        const result = await work(on(client))
        await client.query('COMMIT')
        return result
      } catch (error) {
        broken = error as Error
        await client.query('ROLLBACK').catch(() => {})
        throw error
      } finally {
        // A connection that failed mid-transaction is discarded rather than handed to the next caller.
        client.release(broken)
      }
    },
    async listen(channel, onPayload, onEvent) {
      const client = new pg.Client(url)
      listeners.push(client)
      client.on('notification', message => {
        if (message.channel === channel) onPayload(message.payload ?? '')
      })
      client.on('error', error => onEvent(`client 'error': ${shape(error)}`))
      client.on('end', () => onEvent(`client 'end'`))
      await client.connect()
      await client.query(`LISTEN ${channel}`)
    },
    events,
    async close() {
      await Promise.all(listeners.map(client => client.end().catch(() => {})))
      await pool.end()
    },
  }
}

/**
 * postgres.js: one `sql` whose pool serves queries and transactions, and which keeps its own LISTEN connection.
 * `backoff` replaces its reconnection delay (by default growing as 3^retries / 100 s, up to 20 s).
 */
function postgresJs(url: string, prepared: boolean, max = concurrency, backoff?: number): Contender {
  const events: string[] = []
  const sql = postgres(url, {
    max,
    onnotice: () => {},
    onclose: () => events.push('onclose'),
    ...(backoff === undefined ? {} : { backoff: () => backoff }),
  })
  const on =
    (client: postgres.Sql | postgres.TransactionSql): Query =>
    async (text, params = []) =>
      await client.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: prepared })
  return {
    name: `${prepared ? 'postgres prepared' : 'postgres'}${backoff === undefined ? '' : `, backoff ${backoff} s`}`,
    query: on(sql),
    async transaction<T>(work: (query: Query) => Promise<T>) {
      return (await sql.begin(tx => work(on(tx)))) as T
    },
    async listen(channel, onPayload, onEvent) {
      await sql.listen(channel, onPayload, () => onEvent('onlisten (subscribed)'))
    },
    events,
    async close() {
      await sql.end({ timeout: 5 })
    },
  }
}

/** An error as the storage layer would see it: its class, code and message. */
function shape(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const code = (error as { code?: unknown }).code
  const errors = (error as { errors?: unknown[] }).errors
  const inner = error instanceof AggregateError && errors ? ` [${errors.map(shape).join('; ')}]` : ''
  return `${error.constructor.name}${code === undefined ? '' : ` code=${String(code)}`}: ${error.message}${inner}`
}

interface Figures {
  perSecond: number
  p50: number
  p99: number
}

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? NaN
}

/** Runs `op` from `callers` loops for `seconds`; answers operations a second and latency percentiles in ms. */
async function drive(callers: number, op: (i: number) => Promise<unknown>): Promise<Figures> {
  const latencies: number[] = []
  const start = performance.now()
  const deadline = start + seconds * 1000
  let next = 0
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (performance.now() < deadline) {
        const before = performance.now()
        await op(next++)
        latencies.push(performance.now() - before)
      }
    }),
  )
  const elapsed = (performance.now() - start) / 1000
  latencies.sort((a, b) => a - b)
  return { perSecond: latencies.length / elapsed, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) }
}

const itemId = (i: number) => (i % ITEMS) + 1

async function writeOnce(contender: Contender, id: number): Promise<void> {
  await contender.transaction(async query => {
    await query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK])
    const [item] = await query('SELECT counter FROM items WHERE id = $1', [id])
    if (item === undefined) throw new Error(`item ${id} is missing`)
    await query('UPDATE items SET counter = counter + 1 WHERE id = $1', [id])
    await query('INSERT INTO events (item) VALUES ($1) RETURNING id', [id])
  })
}

/** Sends `count` notifications one after another, each once the previous one arrived; answers latencies in ms. */
async function notifyLatencies(contender: Contender, channel: string, count: number): Promise<Figures> {
  const latencies: number[] = []
  for (let i = 0; i < count; i++) {
    const payload = `${channel}-${i}`
    const before = performance.now()
    const arrived = waitFor(payload)
    await contender.query('SELECT pg_notify($1, $2)', [channel, payload])
    await arrived
    latencies.push(performance.now() - before)
  }
  const total = latencies.reduce((a, b) => a + b, 0) / 1000
  latencies.sort((a, b) => a - b)
  return { perSecond: count / total, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) }
}

const waiting = new Map<string, () => void>()
function waitFor(payload: string, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      waiting.delete(payload)
      reject(new Error(`notification ${payload} did not arrive within ${timeoutMs} ms`))
    }, timeoutMs)
    waiting.set(payload, () => {
      clearTimeout(timer)
      waiting.delete(payload)
      resolve()
    })
  })
}
const deliver = (payload: string) => waiting.get(payload)?.()

async function prepareSchema(url: string): Promise<void> {
  const client = new pg.Client(url)
  await client.connect()
  await client.query(`
    CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL, counter integer NOT NULL DEFAULT 0);
    CREATE TABLE events (id bigserial PRIMARY KEY, item bigint NOT NULL, at timestamptz NOT NULL DEFAULT now());
    INSERT INTO items (id, name) SELECT n, 'item ' || n FROM generate_series(1, ${ITEMS}) AS n;
    ANALYZE items;
  `)
  await client.end()
}

const ms = (n: number) => `${n.toFixed(2)} ms`
const perSecond = (n: number) => `${Math.round(n)}/s`

interface Measured {
  contender: Contender
  /** Each contender listens on a channel of its own, so that it hears only its own notifications. */
  channel: string
  /** Per phase, one entry per counted round. */
  figures: Record<string, Figures[]>
}

interface Phase {
  name: string
  /** What the ratio compares: operations a second (higher is better) or the median latency (lower is better). */
  compare: 'throughput' | 'latency'
  run(entry: Measured): Promise<Figures>
}

const selectOne = (contender: Contender) => (i: number) => contender.query(SELECT_ITEM, [itemId(i * 7919)])
const phases: Phase[] = [
  { name: 'select, 1 caller', compare: 'latency', run: ({ contender }) => drive(1, selectOne(contender)) },
  {
    name: `select, ${concurrency} callers`,
    compare: 'throughput',
    run: ({ contender }) => drive(concurrency, selectOne(contender)),
  },
  {
    name: `write tx, ${concurrency} callers`,
    compare: 'throughput',
    run: ({ contender }) => drive(concurrency, i => writeOnce(contender, itemId(i))),
  },
  {
    name: 'notify → listen',
    compare: 'latency',
    run: ({ contender, channel }) => notifyLatencies(contender, channel, notifications),
  },
]

/**
 * Round 0 warms every contender up (connections, plans, JIT) and is not counted. Within a round the contenders
 * take turns phase by phase, each round starting with the next one, so that a neighbour's burst of load or
 * the position in the turn does not land on one of them alone.
 */
async function measureRounds(entries: readonly Measured[]): Promise<void> {
  for (let round = 0; round <= rounds; round++) {
    const line: string[] = []
    for (const phase of phases) {
      const results = new Map<Measured, Figures>()
      for (let turn = 0; turn < entries.length; turn++) {
        const entry = entries[(round + turn) % entries.length]!
        results.set(entry, await phase.run(entry))
      }
      if (round === 0) continue
      for (const [entry, result] of results) (entry.figures[phase.name] ??= []).push(result)
      if (phase.compare === 'throughput')
        line.push(`${phase.name}: ${entries.map(entry => perSecond(results.get(entry)!.perSecond)).join(' / ')}`)
    }
    if (round > 0) process.stdout.write(`  round ${round}: ${line.join(', ')}\n`)
  }
}

function report(entries: readonly Measured[]): void {
  const baseline = entries[0]!
  for (const phase of phases) {
    process.stdout.write(`\n${phase.name}\n`)
    const theirs = baseline.figures[phase.name]!
    for (const { contender, figures } of entries) {
      const mine = figures[phase.name]!
      const ratios = mine.map((f, round) =>
        phase.compare === 'throughput' ? f.perSecond / theirs[round]!.perSecond : f.p50 / theirs[round]!.p50,
      )
      const rate = phase.name.startsWith('notify') ? '' : `${perSecond(median(mine.map(f => f.perSecond)))}  `
      const ratio = `×${median(ratios).toFixed(2)} ${phase.compare === 'throughput' ? 'the rate' : 'the p50'}`
      process.stdout.write(
        `  ${contender.name.padEnd(18)} ${rate}p50 ${ms(median(mine.map(f => f.p50)))}  ` +
          `p99 ${ms(median(mine.map(f => f.p99)))}  ${ratio} of ${baseline.contender.name}\n`,
      )
    }
  }
}

/** Sends a notification every 100 ms until `payloads` holds one of them; answers ms until then, or null after `limitMs`. */
async function notifyUntilHeard(contender: Contender, payloads: string[], tag: string, limitMs: number) {
  const start = performance.now()
  for (let i = 0; performance.now() - start < limitMs; i++) {
    await contender.query('SELECT pg_notify($1, $2)', ['recovery', `${tag}-${i}`]).catch(() => {})
    await sleep(100)
    if (payloads.some(p => p.startsWith(`${tag}-`))) return performance.now() - start
  }
  return null
}

/**
 * What `contender` makes of a fast shutdown during a query, of --downtime seconds without a server while a
 * caller keeps querying every 250 ms (as a node serving traffic would), and of the server's return; prints
 * what it saw.
 */
async function recovery(cluster: PostgresCluster, contender: Contender): Promise<void> {
  process.stdout.write(`\n${contender.name}: fast shutdown, ${downtime} s down, restart\n`)
  const say = (label: string, text: string) => process.stdout.write(`  ${label.padEnd(29)} ${text}\n`)
  const seen: string[] = []
  const payloads: string[] = []
  const listening = (event: string) => seen.push(`${ms(performance.now() - began)}: ${event}`)
  const began = performance.now()
  await contender.listen('recovery', payload => payloads.push(payload), listening)
  await contender.query('SELECT 1')

  const inFlight = contender.query('SELECT pg_sleep(60)').then(
    () => 'completed',
    (error: unknown) => shape(error),
  )
  await sleep(300)
  await cluster.stop('fast')
  say('query in flight:', await inFlight)
  say(
    'transaction while down:',
    await writeOnce(contender, 1).then(
      () => 'succeeded',
      (error: unknown) => shape(error),
    ),
  )

  const failures = new Map<string, number>()
  let slowest = 0
  for (const downUntil = performance.now() + downtime * 1000; performance.now() < downUntil; await sleep(250)) {
    const before = performance.now()
    const outcome = await contender.query('SELECT 1').then(
      () => 'succeeded',
      (error: unknown) => shape(error),
    )
    slowest = Math.max(slowest, performance.now() - before)
    failures.set(outcome, (failures.get(outcome) ?? 0) + 1)
  }
  for (const [outcome, count] of failures) say('queries while down:', `${count} × ${outcome}`)
  say('slowest answer while down:', ms(slowest))

  await cluster.restart()
  const upAt = performance.now()
  let failed = 0
  while (
    !(await contender.query('SELECT 1').then(
      () => true,
      () => false,
    ))
  ) {
    failed++
    await sleep(100)
  }
  say(
    'first success after restart:',
    `${ms(performance.now() - upAt)} (${failed === 0 ? 'the first query' : `after ${failed} failed queries`})`,
  )

  const heard = await notifyUntilHeard(contender, payloads, 'after', 30_000)
  if (heard !== null)
    say('LISTEN after restart:', `resumed by itself, heard ${ms(performance.now() - upAt)} after the restart`)
  else {
    say('LISTEN after restart:', 'silent for 30 s: the subscription is gone')
    await contender.listen('recovery', payload => payloads.push(payload), listening)
    const again = await notifyUntilHeard(contender, payloads, 'again', 10_000)
    say('a new subscription:', again === null ? 'silent too' : `hears the next notification (${ms(again)})`)
  }
  for (const event of seen) say('LISTEN event:', event)
  const counts = new Map<string, number>()
  for (const event of contender.events) counts.set(event, (counts.get(event) ?? 0) + 1)
  for (const [event, count] of counts) say('driver event:', `${count} × ${event}`)
}

/** How each driver hands back BIGINT and bytea by default, and with the setting that makes BIGINT a number. */
async function types(url: string): Promise<void> {
  process.stdout.write('\nBIGINT and bytea\n')
  const text = 'SELECT 9007199254740991::int8 AS big, count(*) AS n, $1::bytea AS bytes FROM items'
  const bytes = Buffer.from([0, 1, 2, 254, 255])
  const describe = (name: string, row: Row) => {
    const back = row.bytes
    const same = Buffer.isBuffer(back) && back.equals(bytes)
    process.stdout.write(
      `  ${name.padEnd(37)} big: ${typeof row.big} ${String(row.big)}, count(*): ${typeof row.n}, ` +
        `Buffer param → bytea → ${same ? 'the same Buffer' : `${typeof back} ${String(back)}`}\n`,
    )
  }

  const plainPg = new pg.Pool({ connectionString: url, max: 1 })
  describe('pg (default)', (await plainPg.query(text, [bytes])).rows[0])
  await plainPg.end()
  // Per pool rather than `pg.types.setTypeParser`, which would change every pool in the process.
  const numericPg = new pg.Pool({
    connectionString: url,
    max: 1,
    types: { getTypeParser: (oid, format) => (oid === 20 ? Number : pg.types.getTypeParser(oid, format)) },
  })
  describe('pg (types.getTypeParser 20 → Number)', (await numericPg.query(text, [bytes])).rows[0])
  await numericPg.end()

  const plainJs = postgres(url, { max: 1, onnotice: () => {} })
  describe('postgres (default)', (await plainJs.unsafe(text, [bytes]))[0]!)
  await plainJs.end()
  const numericJs = postgres(url, {
    max: 1,
    onnotice: () => {},
    types: { bigint: { to: 20, from: [20], serialize: (n: number) => String(n), parse: (s: string) => Number(s) } },
  })
  describe('postgres (types.bigint 20 → Number)', (await numericJs.unsafe(text, [bytes]))[0]!)
  await numericJs.end()
}

const teardowns: (() => unknown)[] = []
try {
  const cluster = await startPostgres({ teardown: fn => teardowns.push(fn) })
  if (typeof cluster === 'string') throw new Error(cluster)
  const url = await cluster.createDatabase('drivers')
  await prepareSchema(url)
  process.stdout.write(
    `PostgreSQL on 127.0.0.1:${cluster.port}, ${ITEMS} items; ${rounds} rounds of ${seconds} s per phase, ` +
      `${concurrency} callers, ${notifications} notifications\n`,
  )

  const entries: Measured[] = [
    nodePostgres(url, true),
    nodePostgres(url, false),
    postgresJs(url, true),
    postgresJs(url, false),
  ].map((contender, i) => ({ contender, channel: `bench${i}`, figures: {} }))
  let measuring = true
  for (const { contender, channel } of entries)
    await contender.listen(channel, deliver, event => {
      if (measuring && !event.startsWith('onlisten')) process.stdout.write(`  ${contender.name}: ${event}\n`)
    })

  process.stdout.write(`  rounds (${entries.map(entry => entry.contender.name).join(' / ')}):\n`)
  await measureRounds(entries)
  report(entries)
  measuring = false
  for (const { contender } of entries) await contender.close()

  for (const contender of [nodePostgres(url, true, 4), postgresJs(url, true, 4), postgresJs(url, true, 4, 0.25)]) {
    await recovery(cluster, contender)
    await contender.close()
  }
  await types(url)
} finally {
  for (const teardown of teardowns.reverse()) await teardown()
}
process.exit(0)
