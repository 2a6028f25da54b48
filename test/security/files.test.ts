// run/ holds the SQLite database (session ids, invitation ids, signing keys, secrets) and, started by server.sh,
// the log (user ids and addresses), pid files and memcached's log: private on every start, whatever the engine.
import t from 'tap'
import { chmodSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildApp } from '../../src/app.js'
import { tempDir, testConfig } from '../helpers/app.js'
import { checkout, run, serverEnv } from '../helpers/checkout.js'
import { startPostgres } from '../helpers/postgres.js'

const mode = (path: string) => statSync(path).mode & 0o777

t.test('a run folder left readable by others is made private, and so is every file in it', async t => {
  const runDir = join(tempDir(t), 'run')
  mkdirSync(runDir, { mode: 0o755 })
  chmodSync(runDir, 0o755)
  // An older install: the database and a secret created world-readable.
  writeFileSync(join(runDir, 'login.sqlite'), '', { mode: 0o644 })
  writeFileSync(join(runDir, 'form-secret'), 'b2xkLXNlY3JldC1vbGQtc2VjcmV0LW9sZC1zZWNyZXQ', { mode: 0o644 })
  chmodSync(join(runDir, 'login.sqlite'), 0o644)
  chmodSync(join(runDir, 'form-secret'), 0o644)

  const app = await buildApp(testConfig(t, { runDir }), { logger: false })
  t.teardown(() => app.close())
  await app.inject({ url: '/login/test/as?who=alice' })

  t.equal(mode(runDir).toString(8), '700', 'the folder')
  const files = ['login.sqlite', 'login.sqlite-wal', 'login.sqlite-shm', 'form-secret']
  for (const file of files) {
    const path = join(runDir, file)
    t.ok(existsSync(path), `${file} exists`)
    t.equal(mode(path).toString(8), '600', file)
  }
})

t.test('./server.sh start keeps run/ private whatever the engine and the umask', async t => {
  const dir = await checkout(t)
  const cluster = await startPostgres(t)
  const engines: [string, Record<string, string>][] = [['SQLite', {}]]
  if (typeof cluster !== 'string') engines.push(['PostgreSQL', { LOGIN_DATABASE: await cluster.createDatabase() }])
  else t.comment(`PostgreSQL left out: ${cluster}`)
  for (const [engine, settings] of engines) {
    const runDir = join(tempDir(t), 'run')
    // An existing run/ as an older version or a wide umask left it, with last week's log in it.
    mkdirSync(runDir)
    chmodSync(runDir, 0o755)
    writeFileSync(join(runDir, 'server.log'), '{"msg":"signed in","user":"…","ip":"203.0.113.7"}\n', { mode: 0o644 })
    chmodSync(join(runDir, 'server.log'), 0o644)
    const env = await serverEnv({ LOGIN_RUN_DIR: runDir, ...settings })
    const sh = (command: string) =>
      run('bash', ['-c', `umask 022 && exec bash server.sh ${command}`], { cwd: dir, env })
    t.teardown(() => sh('stop'))
    const started = await sh('start')
    t.equal(started.code, 0, `${engine}: started (${started.out.trim()})`)
    t.equal(mode(runDir).toString(8), '700', `${engine}: run/`)
    const files = readdirSync(runDir).filter(name => statSync(join(runDir, name)).isFile())
    for (const file of ['server.log', 'server.pid', ...(existsSync('/usr/bin/memcached') ? ['memcached.log'] : [])])
      t.ok(files.includes(file), `${engine}: ${file} is there`)
    for (const file of files) t.equal(mode(join(runDir, file)).toString(8), '600', `${engine}: ${file}`)
    t.equal((await sh('stop')).code, 0, `${engine}: stopped`)
  }
})
