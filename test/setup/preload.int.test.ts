// test/setup/preload.mjs, which tap loads into every test process: a unit-tier file that starts a process
// fails, an integration-tier one may, and a TypeScript test file named to tap runs its compiled twin.
import t from 'tap'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { repoPath } from '../helpers/repo.js'
import { tempDir } from '../helpers/temp-dir.js'

const preload = `--import=${repoPath('test', 'setup', 'preload.mjs')}`

/** Runs `file` as tap runs a test file (with the preload), from the repository's root; answers its exit and output. */
async function run(file: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [preload, file], {
    cwd: repoPath(),
    env: { ...process.env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', chunk => (output += chunk))
  child.stderr.on('data', chunk => (output += chunk))
  const [code] = (await once(child, 'exit')) as [number | null]
  return { code, output }
}

const starts = {
  spawn: "import { spawn } from 'node:child_process'\nspawn(process.execPath, ['--version'])\n",
  execFileSync: "import { execFileSync } from 'node:child_process'\nexecFileSync(process.execPath, ['--version'])\n",
}

for (const [how, source] of Object.entries(starts)) {
  t.test(`a process started with ${how}`, async t => {
    const dir = tempDir(t)
    writeFileSync(join(dir, 'starts.test.js'), source)
    writeFileSync(join(dir, 'starts.int.test.js'), source)
    const unit = await run(join(dir, 'starts.test.js'))
    t.not(unit.code, 0, 'fails a unit-tier file')
    t.match(unit.output, /starts\.test\.ts is a unit-tier test and started a process \(.*node.* --version\)/)
    t.match(unit.output, 'goes in a file named *.int.test.ts', 'and says where such a test belongs')
    const integration = await run(join(dir, 'starts.int.test.js'))
    t.equal(integration.code, 0, 'is allowed in an integration-tier file')
  })
}

t.test('a TypeScript test file runs its compiled twin in build/', async t => {
  const { code, output } = await run('test/groups/shortcode.test.ts')
  t.equal(code, 0, 'it passes')
  t.match(output, /^ok 1 - /m, 'its tests ran')
  t.notMatch(output, /^not ok/m, 'and none failed')
})
