// What every storage engine promises the rules above it (src/storage/database.ts), tested on each engine.
import t, { type Test } from 'tap'
import { errors } from '../../src/errors.js'
import { CHANGES_CHANNEL, RevocationStore } from '../../src/storage/revocations.js'
import { within } from '../helpers/wait.js'
import { storageEngines, type EngineUnderTest } from '../helpers/engines.js'

const { engines, skipped } = await storageEngines(t)
if (skipped) t.comment(`PostgreSQL left out: ${skipped}`)
for (const engine of engines) t.test(engine.engine, async t => conformance(t, engine))

async function conformance(t: Test, engine: EngineUnderTest) {
  const counter = async (db: Awaited<ReturnType<EngineUnderTest['open']>>) =>
    (await db.sql.one<{ value: string }>(`SELECT value FROM server_secrets WHERE name = 'counter'`))?.value

  t.test('a transaction commits all or nothing; a nested one joins it', async t => {
    const db = await engine.open(t)
    await db.transaction(async () => {
      await db.sql.run(`INSERT INTO server_secrets (name, value, created) VALUES ('kept', 'x', 1)`)
    })
    await t.rejects(
      db.transaction(async () => {
        await db.sql.run(`INSERT INTO server_secrets (name, value, created) VALUES ('dropped', 'x', 1)`)
        await db.transaction(async () => {
          t.ok(db.inTransaction, 'the nested call runs inside the outer transaction')
          await db.sql.run(`INSERT INTO server_secrets (name, value, created) VALUES ('nested', 'x', 1)`)
        })
        throw new errors.Conflict('changed my mind')
      }),
      { code: 'LOGIN_ERR_CONFLICT' },
    )
    const names = (await db.sql.all<{ name: string }>('SELECT name FROM server_secrets ORDER BY name')).map(r => r.name)
    t.same(names, ['kept'], 'what the failed transaction wrote, nested part included, is gone')
    t.notOk(db.inTransaction, 'outside again')
  })

  t.test('effects run once the transaction has committed, never after a rollback', async t => {
    const db = await engine.open(t)
    const seen: string[] = []
    await db.transaction(async () => {
      await db.sql.run(`INSERT INTO server_secrets (name, value, created) VALUES ('a', 'x', 1)`)
      await db.afterCommit(async () => {
        // Outside the transaction: what it wrote is committed, as another connection would see it.
        seen.push(`committed: ${db.inTransaction ? 'inside' : 'outside'}`)
      })
      seen.push('work done')
    })
    await db
      .transaction(async () => {
        await db.afterCommit(() => void seen.push('never'))
        throw new Error('rolled back')
      })
      .catch(() => {})
    await db.afterCommit(() => void seen.push('at once, outside a transaction'))
    t.same(seen, ['work done', 'committed: outside', 'at once, outside a transaction'])
  })

  t.test('write transactions take turns, also across connections: no update is lost', async t => {
    const db = await engine.open(t)
    const other = await engine.another(t, db)
    await db.sql.run(`INSERT INTO server_secrets (name, value, created) VALUES ('counter', '0', 1)`)
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => {
        const on = i % 2 ? db : other
        return on.transaction(async () => {
          const value = Number(await counter(on))
          // A pause between the read and the write: without turns, others would read the same value meanwhile.
          await new Promise(resolve => setTimeout(resolve, 1))
          await on.sql.run(`UPDATE server_secrets SET value = ? WHERE name = 'counter'`, [String(value + 1)])
        })
      }),
    )
    t.equal(await counter(db), '40')
  })

  t.test('a statement outside a transaction never sees another transaction half done', async t => {
    const db = await engine.open(t)
    await db.sql.run(`INSERT INTO server_secrets (name, value, created) VALUES ('counter', '0', 1)`)
    let release!: () => void
    const held = new Promise<void>(resolve => (release = resolve))
    const writing = db.transaction(async () => {
      await db.sql.run(`UPDATE server_secrets SET value = '1' WHERE name = 'counter'`)
      await held
    })
    await new Promise(resolve => setTimeout(resolve, 20))
    if (engine.engine === 'postgres') {
      t.equal(await counter(db), '0', 'another connection reads what was committed before')
      release()
    } else {
      // One connection per file and process: the statement waits for the commit.
      const read = counter(db)
      release()
      t.equal(await read, '1', 'the statement ran after the commit')
    }
    await writing
  })

  t.test('the change log: appended only in transactions, read in cursor order from any connection', async t => {
    const db = await engine.open(t)
    const other = await engine.another(t, db)
    const log = new RevocationStore(db)
    await t.rejects(log.append('session', 's', 'u', 1), /inside a write transaction/)
    const writers = [db, other].map(on => new RevocationStore(on))
    const reader = new RevocationStore(other)
    let cursor = 0
    const read: number[] = []
    let writing = true
    const reading = (async () => {
      while (writing || (await reader.since(cursor)).length > 0) {
        for (const entry of await reader.since(cursor)) {
          read.push(entry.cursor)
          cursor = entry.cursor
        }
      }
    })()
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        [db, other][i % 2]!.transaction(() => writers[i % 2]!.append('session', `s${i}`, 'u', i)),
      ),
    )
    writing = false
    await reading
    const all = (await log.since(0)).map(entry => entry.cursor)
    t.equal(all.length, 60)
    t.same(read, all, 'a reader following its cursor saw every entry, in order, none skipped')
    t.equal(await log.head(), all.at(-1))
  })

  t.test('every node hears when the log grows', async t => {
    const db = await engine.open(t)
    const other = await engine.another(t, db)
    const heard: string[] = []
    const stop = await other.listen(
      CHANGES_CHANNEL,
      payload => heard.push(payload),
      () => {},
    )
    t.teardown(stop)
    const cursor = await db.transaction(() => new RevocationStore(db).append('session', 's', 'u', 1))
    if (engine.engine === 'sqlite') {
      // One file, no server to notify through: the processes of one machine poll it.
      await new Promise(resolve => setTimeout(resolve, 100))
      t.same(heard, [], 'SQLite has no notifications')
    } else {
      await within(30_000, () => heard.includes(String(cursor)))
      t.pass('PostgreSQL notifies the other connection of the new cursor')
    }
  })

  t.test('ping answers while the database is there', async t => {
    const db = await engine.open(t)
    await db.ping()
    t.pass()
  })
}
