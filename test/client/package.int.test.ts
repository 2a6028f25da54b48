// The client library as an app on another machine gets it: `npm pack` of client/, installed into an empty app,
// running an example against a live login server with nothing else installed.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../helpers/temp-dir.js'
import { checkExample } from '../helpers/examples.js'
import { liveServer } from '../helpers/realtime.js'
import { repoPath } from '../helpers/repo.js'

const root = repoPath()

// npm hands its scripts (`npm test`) variables naming this project; the npm run here works elsewhere.
const env = Object.fromEntries(
  Object.entries(process.env).filter(
    ([name]) => !/^npm_(package_|lifecycle_|config_(local_|global_)?prefix)/.test(name),
  ),
)

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, env, encoding: 'utf8' })
}

t.test('npm pack of client/ installs alone and runs examples/node-app.js against a live server', async t => {
  const dir = tempDir(t, 'login-client-package-')
  const [packed] = JSON.parse(npm(['pack', '--json', '--pack-destination', dir], join(root, 'client'))) as {
    filename: string
    files: { path: string }[]
  }[]
  const files = packed!.files.map(file => file.path)
  for (const file of ['package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/protocol.js', 'dist/errors.js'])
    t.ok(files.includes(file), `the tarball holds ${file}`)
  t.same(
    files.filter(file => !/^dist\/[\w-]+\.(js|d\.ts)$/.test(file) && file !== 'package.json'),
    [],
    'compiled JavaScript and declarations only',
  )

  const app = join(dir, 'app')
  mkdirSync(app)
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'an-app', private: true, type: 'module' }))
  npm(['install', '--prefer-offline', join(dir, packed!.filename)], app)
  const installed = readdirSync(join(app, 'node_modules')).filter(name => !name.startsWith('.'))
  t.same(installed.sort(), ['jose', 'modular-login-client', 'ws'], 'the library brings jose and ws, nothing else')
  const manifest = JSON.parse(readFileSync(join(app, 'node_modules/modular-login-client/package.json'), 'utf8'))
  t.same(Object.keys(manifest.dependencies).sort(), ['jose', 'ws'])

  copyFileSync(join(root, 'examples/node-app.js'), join(app, 'server.js'))
  await checkExample(t, await liveServer(t), 'node-app.js', join(app, 'server.js'), app)
})
