// `npm ci` must not warn EBADENGINE on any Node the package says it runs on:
// every installed package's `engines.node` has to cover the declared range.
import t from 'tap'
import { readFileSync } from 'node:fs'
import semver from 'semver'
import { repoPath } from '../helpers/repo.js'

const manifest = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { engines: { node: string } }
const lock = JSON.parse(readFileSync(repoPath('package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>
}

t.test('every package in the lockfile runs on every Node version package.json declares', async t => {
  const declared = manifest.engines.node
  t.ok(semver.validRange(declared), `engines.node ${declared} is a valid range`)
  const disagreeing: string[] = []
  for (const [path, entry] of Object.entries(lock.packages)) {
    // Old packages wrote engines as an array of strings, which npm ignores.
    const wanted = Array.isArray(entry.engines) ? undefined : entry.engines?.node
    if (path === '' || wanted === undefined) continue
    if (!semver.subset(declared, wanted)) disagreeing.push(`${path}@${entry.version} wants node ${wanted}`)
  }
  t.same(disagreeing, [], `all agree with node ${declared}`)
})

t.test('the running Node is one the package declares', async t => {
  t.ok(
    semver.satisfies(process.version, manifest.engines.node),
    `${process.version} satisfies ${manifest.engines.node}`,
  )
})
