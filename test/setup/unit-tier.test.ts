// The unit tier runs in two processes (test/all/unit-tier.ts): between them they must run every unit-tier file,
// each once, and nothing of the integration tier.
import t from 'tap'
import { readdirSync } from 'node:fs'
import { unitTierFiles, unitTierShare } from '../all/unit-tier.js'
import { compiledPath, repoPath } from '../helpers/repo.js'

const sources = readdirSync(repoPath('test'), { recursive: true, encoding: 'utf8' })
  .filter(file => file.endsWith('.test.ts') && !file.startsWith('all/'))
  .map(file => `test/${file}`)

t.test('the two shares run every unit-tier file once, and no integration-tier file', async t => {
  const shares = [unitTierShare(1, 2), unitTierShare(2, 2)]
  const run = shares.flat()
  t.same(
    [...run].sort(),
    sources
      .filter(file => !file.endsWith('.int.test.ts'))
      .map(compiledPath)
      .sort(),
    'every unit-tier file, compiled, is in a share',
  )
  t.equal(new Set(run).size, run.length, 'none is in both')
  t.ok(
    shares.every(share => share.length >= Math.floor(run.length / 2)),
    'the shares are halves',
  )
  t.same(unitTierFiles(), [...run].sort(), 'and the shares hold the tier, nothing more')
})
