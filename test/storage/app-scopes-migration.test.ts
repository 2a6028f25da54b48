// Migration 0008 on a database that already holds apps, their grants and the change log: what apps granted
// before is found (their grants can be taken over), OpenID Connect clients lose the channel unless registered
// with --channel, and logged membership changes name their namespace. On both engines.
import t from 'tap'
import BetterSqlite from 'better-sqlite3'
import pg from 'pg'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AppNamespaceStore } from '../../src/storage/app-namespaces.js'
import { AppStore } from '../../src/storage/apps.js'
import type { Database } from '../../src/storage/database.js'
import { MembershipStore } from '../../src/storage/memberships.js'
import { pendingMigrations } from '../../src/storage/migrations.js'
import { PostgresDatabase } from '../../src/storage/postgres.js'
import { RevocationStore } from '../../src/storage/revocations.js'
import { SqliteDatabase } from '../../src/storage/sqlite.js'
import { startPostgres } from '../helpers/postgres.js'

const BEFORE = 7

/** What a deployment at version 7 holds: an app that created `chat` and granted in it, an OpenID Connect client. */
function seed(bytes: string): string {
  return `
    INSERT INTO users (id, name, created) VALUES ('u1', 'ann', 1);
    INSERT INTO groups (id, parent_id, name, path, created) VALUES ('g1', NULL, 'chat', 'chat', 1);
    INSERT INTO groups (id, parent_id, name, path, created) VALUES ('g2', 'g1', 'room', 'chat/room', 1);
    INSERT INTO apps (id, name, secret_hash, created) VALUES ('a1', 'bot', ${bytes}, 1);
    INSERT INTO apps (id, name, secret_hash, created, redirect_uris)
      VALUES ('a2', 'grafana', ${bytes}, 1, '["https://grafana.example/cb"]');
    INSERT INTO app_namespaces (app_id, namespace, kind, created) VALUES ('a1', 'chat', 'created', 1);
    INSERT INTO memberships (id, user_id, group_id, owner, created) VALUES ('m-owner', 'u1', 'g1', 1, 1);
    INSERT INTO memberships (id, user_id, group_id, owner, created) VALUES ('m-granted', 'u1', 'g2', 0, 1);
    INSERT INTO memberships (id, user_id, group_id, owner, created) VALUES ('m-admin', 'u1', 'g2', 0, 1);
    INSERT INTO group_events (group_id, kind, subject_id, membership_id, detail, created)
      VALUES ('g1', 'owner_added', 'u1', 'm-owner', '{"owner":"test:ann","app":"a1"}', 1);
    INSERT INTO group_events (group_id, kind, subject_id, membership_id, detail, created)
      VALUES ('g2', 'member_granted', 'u1', 'm-granted', '{"until":null,"app":"a1"}', 1);
    INSERT INTO group_events (group_id, kind, subject_id, membership_id, detail, created)
      VALUES ('g2', 'member_granted', 'u1', 'm-admin', '{"until":null}', 1);
    INSERT INTO revocations (kind, subject, user_id, created) VALUES ('membership', 'm-granted', 'u1', 1);
    INSERT INTO revocations (kind, subject, user_id, created) VALUES ('session', 's1', 'u1', 2);
  `
}

const engines: { engine: string; before(): Promise<Database> }[] = [
  {
    engine: 'sqlite',
    async before() {
      const dir = mkdtempSync(join(tmpdir(), 'login-migration-'))
      t.teardown(() => rmSync(dir, { recursive: true, force: true }))
      const file = join(dir, 'login.sqlite')
      const raw = new BetterSqlite(file)
      for (const migration of pendingMigrations('sqlite', 0).filter(m => m.version <= BEFORE)) raw.exec(migration.sql)
      raw.pragma(`user_version = ${BEFORE}`)
      raw.exec(seed("x'00'"))
      raw.close()
      return new SqliteDatabase(file)
    },
  },
]
const cluster = await startPostgres(t)
if (typeof cluster === 'string') t.comment(`PostgreSQL left out: ${cluster}`)
else
  engines.push({
    engine: 'postgres',
    async before() {
      const url = await cluster.createDatabase()
      const raw = new pg.Client(url)
      await raw.connect()
      await raw.query(
        'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied BIGINT NOT NULL)',
      )
      for (const migration of pendingMigrations('postgres', 0).filter(m => m.version <= BEFORE)) {
        await raw.query(migration.sql)
        await raw.query('INSERT INTO schema_migrations VALUES ($1, $2, 1)', [migration.version, migration.name])
      }
      await raw.query(seed("'\\x00'::bytea"))
      await raw.end()
      return PostgresDatabase.open(url)
    },
  })

for (const { engine, before } of engines) {
  t.test(`${engine}: 0008 keeps what apps did before it`, async t => {
    const db = await before()
    t.teardown(() => db.close())
    const memberships = new MembershipStore(db)
    t.match(await memberships.get('m-owner'), { appId: 'a1' }, 'an owner an app ensured is known as its grant')
    t.match(await memberships.get('m-granted'), { appId: 'a1' }, 'so is a membership it granted')
    t.match(await memberships.get('m-admin'), { appId: null }, 'what the administrator granted is nobody’s')
    t.same(
      (await memberships.grantedByApps('chat', ['chat/', 'chat0'], 10)).map(m => [m.id, m.appName]),
      [
        ['m-owner', 'bot'],
        ['m-granted', 'bot'],
      ],
    )

    const apps = new AppStore(db)
    t.match(await apps.findByName('bot'), { channel: true }, 'an app without a redirect URI keeps the channel')
    t.match(await apps.findByName('grafana'), { channel: false }, 'an OpenID Connect client loses it')

    t.match(
      await new RevocationStore(db).since(0),
      [
        { kind: 'membership', subject: 'm-granted', namespace: 'chat', access: null },
        { kind: 'session', subject: 's1', namespace: null, access: null },
      ],
      'logged membership changes name their namespace',
    )

    const namespaces = new AppNamespaceStore(db)
    t.match(await namespaces.get('a1', 'chat'), { kind: 'created' }, 'app namespaces are kept')
    await namespaces.set('a2', 'chat', 'read', 10)
    await namespaces.set('a2', 'wiki', 'claimed', 10)
    t.same(
      (await namespaces.list('a2')).map(n => n.kind),
      ['read', 'claimed'],
      'and take the new kinds',
    )
  })
}
