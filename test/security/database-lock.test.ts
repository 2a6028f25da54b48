// PostgreSQL grants CONNECT to PUBLIC: any role of the cluster can take the advisory lock that a deployment's
// write transactions take turns with, and hold it. Writes must then give up after a bounded wait (503), reads
// and readiness must not wait on it, and a database that hangs must never turn into a 500 or a hanging probe.
import t from 'tap'
import BetterSqlite3 from 'better-sqlite3'
import pg from 'pg'
import type { FastifyInstance } from 'fastify'
import { sqlitePath } from '../../src/storage/open.js'
import { startApp } from '../helpers/app.js'
import { startPostgres } from '../helpers/postgres.js'
import { PATIENCE_MS } from '../helpers/realtime.js'
import type { Teardown } from '../helpers/teardown.js'

const cluster = await startPostgres(t)
const skip = typeof cluster === 'string' ? cluster : false

/** A connection of its own, closed when the test ends. */
async function connect(t: Teardown, url: string): Promise<pg.Client> {
  const client = new pg.Client(url)
  client.on('error', () => {})
  await client.connect()
  t.teardown(() => client.end().catch(() => {}))
  return client
}

/** A refusal's code, from its JSON or its page (sign-in routes answer pages). */
function codeOf(response: { body: string; headers: Record<string, unknown> }): string | undefined {
  if (String(response.headers['content-type']).startsWith('application/json'))
    return (JSON.parse(response.body) as { code?: string }).code
  return /id="error-code">([A-Z_]+)</.exec(response.body)?.[1]
}

/** `promise`, or a failure naming `what` once the test has waited long enough for it. */
async function answered<T>(what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${PATIENCE_MS} ms`)), PATIENCE_MS)
  })
  try {
    return await Promise.race([promise, late])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * The key of the advisory lock the server's write transactions take, as anyone may read it in pg_locks while one
 * is under way (a bigint key: classid is its high half, objid its low half).
 */
async function writeLockKey(app: FastifyInstance, observer: pg.Client): Promise<string> {
  let release!: () => void
  const gate = new Promise<void>(resolve => (release = resolve))
  const writing = app.ctx.db.transaction(() => gate)
  try {
    for (;;) {
      const { rows } = await observer.query<{ key: string }>(
        `SELECT ((classid::bigint << 32) | objid::bigint)::text AS key FROM pg_locks
         WHERE locktype = 'advisory' AND granted AND objsubid = 1
           AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND pid <> pg_backend_pid()`,
      )
      if (rows.length === 1) return rows[0]!.key
      await new Promise(resolve => setTimeout(resolve, 20))
    }
  } finally {
    release()
    await writing
  }
}

t.test('a role that holds the write lock cannot stall the service', { skip }, async t => {
  if (typeof cluster === 'string') return
  const url = await cluster.createDatabase()
  const admin = await connect(t, url)
  await admin.query('CREATE ROLE mallory LOGIN')
  t.teardown(() => admin.query('DROP ROLE IF EXISTS mallory').catch(() => {}))
  const { app, signIn } = await startApp(t, { database: url, databaseLockTimeoutMs: 500 })
  const alice = await signIn('alice')

  // Mallory may only connect: she reads the key in pg_locks and waits for her turn, then keeps it.
  const key = await writeLockKey(app, admin)
  const mallory = await connect(t, url.replace('login_test@', 'mallory@'))
  await mallory.query('SELECT pg_advisory_lock($1::bigint)', [key])

  const signIns = Array.from({ length: 12 }, (_, i) => app.inject({ url: `/login/test/as?who=user${i}` }))
  const reads = Array.from({ length: 12 }, () => app.inject({ url: '/login/sessions', headers: { cookie: alice } }))
  const ready = app.inject({ url: '/login/ready' })
  const readStatuses = (await answered('reads', Promise.all(reads))).map(r => r.statusCode)
  t.same(readStatuses, Array<number>(12).fill(200), 'reads are answered: they never wait on the write lock')
  t.equal((await answered('/login/ready', ready)).statusCode, 200, 'the server is ready: it reads what it needs')
  const refused = await answered('sign-ins', Promise.all(signIns))
  t.same(
    refused.map(r => [r.statusCode, codeOf(r)]),
    Array(12).fill([503, 'LOGIN_ERR_UNAVAILABLE']),
    'every sign-in gives up after LOGIN_DATABASE_LOCK_TIMEOUT_MS, with 503',
  )

  await mallory.query('SELECT pg_advisory_unlock_all()')
  t.equal((await answered('sign-in', app.inject({ url: '/login/test/as?who=late' }))).statusCode, 303, 'then it works')
})

t.test('a database that hangs: 503 rather than 500, and readiness answers', { skip }, async t => {
  if (typeof cluster === 'string') return
  const url = await cluster.createDatabase()
  const { app, signIn } = await startApp(t, { database: url })
  const alice = await signIn('alice')
  // Its owner locks the tables every page and the readiness probe read: their queries queue behind the lock.
  const owner = await connect(t, url)
  await owner.query('BEGIN')
  await owner.query('LOCK TABLE sessions, revocations IN ACCESS EXCLUSIVE MODE')

  const reads = Array.from({ length: 14 }, () => app.inject({ url: '/login/sessions', headers: { cookie: alice } }))
  const ready = await answered('/login/ready', app.inject({ url: '/login/ready' }))
  t.equal(ready.statusCode, 503, 'not ready, and it says so while the database still hangs')
  t.equal(ready.json().code, 'LOGIN_ERR_UNAVAILABLE')
  const waiting = await answered(
    'reads beyond the pool',
    Promise.race(reads.map(read => read.then(response => response))),
  )
  t.equal(waiting.statusCode, 503, 'a request that finds the pool saturated is answered 503 while the database hangs')
  t.equal(waiting.json().code, 'LOGIN_ERR_UNAVAILABLE')

  await owner.query('ROLLBACK')
  const statuses = (await answered('reads', Promise.all(reads))).map(r => r.statusCode)
  t.notOk(statuses.includes(500), `never a 500 (${statuses.join(' ')})`)
  t.ok(statuses.includes(200), 'the reads that held a connection are answered once the database moves again')
})

t.test('the lock is the deployment’s own: another schema of the same database takes another', { skip }, async t => {
  if (typeof cluster === 'string') return
  const url = await cluster.createDatabase()
  const admin = await connect(t, url)
  await admin.query('CREATE SCHEMA other')
  const first = await startApp(t, { database: url })
  const second = await startApp(t, { database: `${url}?options=${encodeURIComponent('-c search_path=other')}` })
  const keys = [await writeLockKey(first.app, admin), await writeLockKey(second.app, admin)]
  t.not(keys[0], keys[1], `two deployments, two keys (${keys.join(', ')})`)
})

t.test('SQLite: a write that cannot have the write lock gives up with 503', async t => {
  const { app, config } = await startApp(t, { databaseLockTimeoutMs: 200 })
  // Another process on the same file (a worker, the CLI) in the middle of a write.
  const other = new BetterSqlite3(sqlitePath(config.runDir))
  t.teardown(() => other.close())
  other.exec('BEGIN IMMEDIATE')
  const refused = await app.inject({ url: '/login/test/as?who=alice' })
  t.same([refused.statusCode, codeOf(refused)], [503, 'LOGIN_ERR_UNAVAILABLE'], 'refused with 503')
  other.exec('ROLLBACK')
  t.equal((await app.inject({ url: '/login/test/as?who=alice' })).statusCode, 303, 'then it works')
})
