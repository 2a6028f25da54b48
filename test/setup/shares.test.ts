// Some files share processes (test/all/shares.ts): between them the shares must run every file of their group,
// each once, and nothing else.
import t from 'tap'
import { readdirSync } from 'node:fs'
import { share, sharedFiles, type Shared } from '../all/shares.js'
import { compiledPath, repoPath } from '../helpers/repo.js'

const sources = readdirSync(repoPath('test'), { recursive: true, encoding: 'utf8' })
  .filter(file => file.endsWith('.test.ts') && !file.startsWith('all/'))
  .map(file => `test/${file}`)

const groups: [Shared, number, string, (file: string) => boolean][] = [
  ['unit', 2, 'every unit-tier file', file => !file.endsWith('.int.test.ts')],
  [
    'browser',
    3,
    'every integration-tier file of test/browser/',
    file => /^test\/browser\/.*\.int\.test\.ts$/.test(file),
  ],
]

for (const [group, count, what, belongs] of groups) {
  t.test(`the ${count} shares of the ${group} group run ${what} once, and nothing else`, async t => {
    const shares = Array.from({ length: count }, (_, index) => share(group, index + 1, count))
    const run = shares.flat()
    t.same([...run].sort(), sources.filter(belongs).map(compiledPath).sort(), `${what}, compiled, is in a share`)
    t.equal(new Set(run).size, run.length, 'none is in two')
    t.ok(
      shares.every(files => files.length >= Math.floor(run.length / count)),
      'the shares are even',
    )
    t.same(sharedFiles(group), [...run].sort(), 'and the shares hold the group, nothing more')
  })
}
