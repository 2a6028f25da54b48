import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import pg from 'pg'
import t from 'tap'
import { SUPERUSER, startPostgres } from './postgres.js'
import type { Teardown } from './teardown.js'

/** A connected client, closed when the test ends; errors it reports outside a query (a lost server) are collected. */
async function connect(t: Teardown, url: string): Promise<{ client: pg.Client; errors: Error[] }> {
  const client = new pg.Client(url)
  const errors: Error[] = []
  client.on('error', error => errors.push(error))
  await client.connect()
  t.teardown(() => client.end().catch(() => {}))
  return { client, errors }
}

async function one(url: string, text: string): Promise<Record<string, unknown>> {
  const client = new pg.Client(url)
  await client.connect()
  try {
    return (await client.query(text)).rows[0] as Record<string, unknown>
  } finally {
    await client.end()
  }
}

/** The error a fresh connection to `url` fails with, or null when it connects. */
async function refusal(url: string): Promise<(Error & { code?: string }) | null> {
  const client = new pg.Client(url)
  try {
    await client.connect()
    await client.end()
    return null
  } catch (error) {
    return error as Error
  }
}

// One cluster for the tests below that only need databases of their own.
const shared = await startPostgres(t)
const skip = typeof shared === 'string' ? shared : false

t.test('each createDatabase() is a fresh, empty database of its own', { skip }, async t => {
  if (typeof shared === 'string') return
  const first = await shared.createDatabase()
  const second = await shared.createDatabase()
  t.not(first, second)
  const { client } = await connect(t, first)
  await client.query('CREATE TABLE marks (id integer PRIMARY KEY)')
  await client.query('INSERT INTO marks VALUES (1)')
  t.same((await client.query('SELECT count(*)::int AS n FROM marks')).rows, [{ n: 1 }])
  t.same(await one(second, "SELECT to_regclass('marks') AS marks"), { marks: null }, 'the other database has no table')
})

t.test('createDatabase(name) answers the URL of a database of that name', { skip }, async t => {
  if (typeof shared === 'string') return
  const url = await shared.createDatabase('named_for_test')
  t.equal(url, `postgres://${SUPERUSER}@127.0.0.1:${shared.port}/named_for_test`)
  t.same(await one(url, 'SELECT current_database() AS db, current_user AS who'), {
    db: 'named_for_test',
    who: SUPERUSER,
  })
  await t.rejects(shared.createDatabase('named_for_test'), /already exists/, 'a name is taken only once')
  await t.rejects(shared.createDatabase('Robert"; DROP'), /is not \[a-z_\]/)
})

t.test('the server listens on loopback only, with the fast settings, and never as root', { skip }, async t => {
  if (typeof shared === 'string') return
  const { client } = await connect(t, shared.url)
  const settings = await client.query(
    `SELECT current_setting('listen_addresses') AS listen, current_setting('fsync') AS fsync,
            current_setting('synchronous_commit') AS sync, current_setting('full_page_writes') AS fpw,
            pg_backend_pid() AS pid`,
  )
  t.match(settings.rows[0], { listen: '127.0.0.1', fsync: 'off', sync: 'off', fpw: 'off' })
  // The session's server process, alive while the client stays connected.
  const status = await readFile(`/proc/${settings.rows[0].pid}/status`, 'utf8')
  const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1])
  t.not(uid, 0, 'PostgreSQL refuses root, so as root the helper runs it as the postgres user')
})

t.test('restart: open sessions end with 57P01, new ones find the data', { skip }, async t => {
  const cluster = await startPostgres(t)
  if (typeof cluster === 'string') return
  const url = await cluster.createDatabase()
  const { client: before, errors } = await connect(t, url)
  await before.query('CREATE TABLE kept (note text)')
  await before.query("INSERT INTO kept VALUES ('survives')")

  await cluster.restart()
  await t.rejects(before.query('SELECT 1'), 'a session from before the restart is gone')
  t.match(errors[0], { code: '57P01' }, 'its client heard the administrator shutdown')
  const { client: after } = await connect(t, url)
  t.same((await after.query('SELECT note FROM kept')).rows, [{ note: 'survives' }])
})

t.test('stop: refused until restarted on the same URL; an immediate stop keeps committed rows', { skip }, async t => {
  const cluster = await startPostgres(t)
  if (typeof cluster === 'string') return
  const url = await cluster.createDatabase()
  await one(url, "CREATE TABLE kept AS SELECT 'before the stop' AS note")

  await cluster.stop()
  t.match(await refusal(url), { code: 'ECONNREFUSED' }, 'nothing listens while stopped')
  await cluster.restart()
  t.same(await one(url, 'SELECT note FROM kept'), { note: 'before the stop' })

  // With synchronous_commit off a commit may still sit in memory when the server dies (as the setting allows):
  // this one asks to be written out before it returns, as the default setting would.
  const { client } = await connect(t, url)
  await client.query('BEGIN')
  await client.query('SET LOCAL synchronous_commit = on')
  await client.query("INSERT INTO kept VALUES ('before the crash')")
  await client.query('COMMIT')
  await cluster.stop('immediate')
  t.match(await refusal(url), { code: 'ECONNREFUSED' })
  await cluster.restart()
  t.same(await one(url, 'SELECT count(*)::int AS n FROM kept'), { n: 2 }, 'recovery replays what was committed')
})

t.test("the test's end stops the server and removes its folder", { skip }, async t => {
  let url = ''
  let folder = ''
  await t.test('a cluster used and left to teardown', async t => {
    const cluster = await startPostgres(t)
    if (typeof cluster === 'string') return
    url = cluster.url
    folder = String((await one(url, "SELECT current_setting('data_directory') AS dir")).dir)
    t.ok(existsSync(folder), `its data lives in ${folder}`)
  })
  t.notOk(existsSync(folder), 'the folder is gone')
  t.match(await refusal(url), { code: 'ECONNREFUSED' }, 'the server is gone')
})
