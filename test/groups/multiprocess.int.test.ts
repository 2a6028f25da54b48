import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { buildApp } from '../../src/app.js'
import { signInOverHttp, testConfig } from '../helpers/app.js'
import { compiledPath } from '../helpers/repo.js'
import type { Teardown } from '../helpers/teardown.js'
import { raceRounds } from './race.js'

const PROCESSES = 3
const ROUNDS = 3
const RACERS = 50
const SERVER = compiledPath('test/groups/server-process.ts')

/** Starts a server process on `runDir`; answers its base URL. */
async function startServer(t: Teardown, runDir: string): Promise<string> {
  const child: ChildProcess = spawn(process.execPath, ['--enable-source-maps', SERVER, runDir], {
    env: { ...process.env, NODE_OPTIONS: '' },
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  t.teardown(async () => {
    if (child.exitCode !== null) return
    child.stdin!.end()
    await once(child, 'exit')
  })
  const lines = createInterface({ input: child.stdout! })
  const [line] = await Promise.race([
    once(lines, 'line') as Promise<[string]>,
    once(child, 'exit').then(([code]) => {
      throw new Error(`server process exited with ${code}`)
    }),
  ])
  return `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`
}

t.test('several server processes sharing one SQLite file never over-admit', async t => {
  // This process builds the app first on the shared run/ folder (keys, secrets, migrations), then
  // sets the races up through its services, on the same file, as the CLI would.
  const config = testConfig(t)
  const app = await buildApp(config, { logger: false })
  t.teardown(() => app.close())
  const { groups, users, clock } = app.ctx
  await groups.tree.ensureNamespace('chat', 'test', 'owner')
  const bases = await Promise.all(Array.from({ length: PROCESSES }, () => startServer(t, config.runDir)))
  // Signed in once: each round races over new links, which the same people may accept again.
  const cookies = await Promise.all(
    Array.from({ length: RACERS }, (_, i) => signInOverHttp(bases[i % PROCESSES]!, `racer${i}`, config.cookieName)),
  )
  await raceRounds(t, { groups, users, clock }, bases, cookies, ROUNDS, `, ${PROCESSES} processes on one file`)
})
