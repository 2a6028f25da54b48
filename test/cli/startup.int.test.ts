// What a start loads: a CLI command only its own module and the shared services, not the server (its web
// framework, the OpenID Provider); a server only what its configuration uses (no OAuth client library without an
// OAuth provider, no QR library before the first QR code). An operator's `npx modular-login …` starts in a third
// of the time the server's import takes (src/cli/index.ts).
import t from 'tap'
import { runTs } from '../helpers/realtime.js'
import { tempDir } from '../helpers/temp-dir.js'
import { PATIENCE_MS } from '../helpers/wait.js'

async function loaded(args: string[], env: Record<string, string>): Promise<string[]> {
  const run = await runTs('test/cli/loaded-packages.ts', args, env, PATIENCE_MS)
  const lines = run.stdout.trim().split('\n')
  if (run.code !== 0) throw new Error(`exit ${run.code}: ${run.stderr}`)
  return JSON.parse(lines[lines.length - 1]!) as string[]
}

t.test('a CLI command loads neither the server nor what only some commands need', async t => {
  const env = { LOGIN_RUN_DIR: tempDir(t) }
  t.same(await loaded(['app', 'list', '--create'], env), [], 'app list: none of the watched packages')
  t.same(await loaded(['rule', 'list'], env), ['yaml'], 'rule list: the YAML library its import and export use')
})

t.test(
  'a server without OAuth providers loads no OAuth client library, and no QR library before a QR code',
  async t => {
    const env = { LOGIN_RUN_DIR: tempDir(t), LOGIN_DEBUG: '1' }
    t.same(await loaded(['server'], env), ['fastify'], 'its web framework, nothing else watched')
  },
)
