import type { Test } from 'tap'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type LiveServer } from './realtime.js'
import { PATIENCE_MS, within } from './wait.js'

/** What an example prints once it listens, capturing its port. */
export const LISTENING = {
  'fastify-app.js': /Server listening at http:\/\/127\.0\.0\.1:(\d+)/,
  'node-app.js': /"url":"http:\/\/localhost:(\d+)"/,
} as const

/**
 * Runs an example of examples/ as a user runs it (plain Node, from `cwd`,
 * with its credentials from `app add`) against a live login server, and
 * checks that it serves signed-in users, refuses non-members and sends the
 * others to sign in.
 */
export async function checkExample(
  t: Test,
  server: LiveServer,
  example: keyof typeof LISTENING,
  script: string,
  cwd: string,
): Promise<void> {
  const credentials = join(server.config.runDir, 'example-app.json')
  writeFileSync(credentials, JSON.stringify(await server.addApp()))
  const child = spawn(process.execPath, [script, credentials], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      LOGIN_SERVER: server.url,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
    },
  })
  t.teardown(() => {
    child.kill('SIGKILL')
  })
  let output = ''
  child.stdout.on('data', chunk => {
    output += chunk
  })
  child.stderr.on('data', chunk => {
    output += chunk
  })
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`${example} exited with ${code}: ${output}`)
  })
  const ready = LISTENING[example]
  await Promise.race([within(4 * PATIENCE_MS, () => ready.test(output), 20), exited])
  const base = `http://127.0.0.1:${ready.exec(output)![1]}`

  const cookie = await server.signIn('127.0.0.1')
  const me = await fetch(`${base}/me`, { headers: { cookie } })
  t.equal(me.status, 200)
  t.match(await me.json(), { name: '127.0.0.1' })
  t.equal((await fetch(`${base}/access_profile`, { headers: { cookie } })).status, 200, 'the owner of test_group')
  t.equal((await fetch(`${base}/access_profile`, { headers: { cookie: await server.signIn('stranger') } })).status, 403)
  const away = await fetch(`${base}/me`, { redirect: 'manual' })
  t.equal(away.status, 302)
  t.equal(away.headers.get('location'), `${server.url}/login?next=${encodeURIComponent(`${base}/me`)}`)
  t.same(await (await fetch(`${base}/maybe`)).json(), { user: null })
}
