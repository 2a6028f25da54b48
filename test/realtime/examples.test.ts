// The examples in examples/ run as a user runs them: plain Node, importing the compiled `modular-login/client`.
import t from 'tap'
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { liveServer, PATIENCE_MS, within } from '../helpers/realtime.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const built = join(root, 'dist/client/index.js')

/** Whether dist/ holds the client as the sources are now (`npm run build`, also run by `npm ci`). */
function builtIsFresh(): boolean {
  if (!existsSync(built)) return false
  const compiled = statSync(built).mtimeMs
  const sources = [
    ...readdirSync(join(root, 'src/client')).map(f => join(root, 'src/client', f)),
    join(root, 'src/realtime/protocol.ts'),
  ]
  return sources.every(file => statSync(file).mtimeMs <= compiled + 1000)
}

// The examples import the compiled package, as an app that installed it would: build it when the sources are newer.
if (!builtIsFresh()) {
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, encoding: 'utf8' })
  if (build.status !== 0) throw new Error(`npm run build failed: ${build.stdout}${build.stderr}`)
}
for (const [example, ready] of [
  ['examples/fastify-app.js', /Server listening at http:\/\/127\.0\.0\.1:(\d+)/],
  ['examples/node-app.js', /"url":"http:\/\/localhost:(\d+)"/],
] as const) {
  t.test(`${example} serves signed-in users and sends the others to sign in`, async t => {
    const server = await liveServer(t)
    const credentials = join(server.config.runDir, 'example-app.json')
    writeFileSync(credentials, JSON.stringify(server.addApp()))
    const child = spawn(process.execPath, [join(root, example), credentials], {
      cwd: root,
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
    await Promise.race([within(4 * PATIENCE_MS, () => ready.test(output), 20), exited])
    const base = `http://127.0.0.1:${ready.exec(output)![1]}`

    const cookie = await server.signIn('127.0.0.1')
    const me = await fetch(`${base}/me`, { headers: { cookie } })
    t.equal(me.status, 200)
    t.match(await me.json(), { name: '127.0.0.1' })
    t.equal((await fetch(`${base}/access_profile`, { headers: { cookie } })).status, 200, 'the owner of test_group')
    t.equal(
      (await fetch(`${base}/access_profile`, { headers: { cookie: await server.signIn('stranger') } })).status,
      403,
    )
    const away = await fetch(`${base}/me`, { redirect: 'manual' })
    t.equal(away.status, 302)
    t.equal(away.headers.get('location'), `${server.url}/login?next=${encodeURIComponent(`${base}/me`)}`)
    t.same(await (await fetch(`${base}/maybe`)).json(), { user: null })
  })
}
