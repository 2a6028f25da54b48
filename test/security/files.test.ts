// run/ holds the SQLite database (session ids, invitation ids, signing keys, secrets): private on every start.
import t from 'tap'
import { chmodSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildApp } from '../../src/app.js'
import { testConfig } from '../helpers/app.js'
import { tempDir } from '../helpers/temp-dir.js'

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
