// The unit tier runs in two processes rather than one per test file. Every test process pays the same fixed
// price before its first assertion: tap and the app are imported, and each module load goes through tap's
// coverage and process-tracking hooks (a thread of their own on Node.js 20). Across the unit tier's files
// that price came to more than their tests themselves, so each of the two processes imports half of the
// files, one after the other, and their tests run as that process's subtests, in file order. A failure's
// `at:` still names its file and line, and `npx tap test/auth/routes.test.ts` still runs one file alone.
// Integration-tier files keep a process each: they start servers, browsers and clusters, and in shared
// processes those ran side by side and the tier took longer, not less.
//
// Unit-tier files share a process, so none may leave a change behind it: no hooks or plans on tap's root
// (`t.beforeEach`, `t.plan` outside a subtest), no change to `process.env` or to globals that outlives the
// subtest making it. A root `t.teardown` runs when the whole process ends. CONTRIBUTING.md says so too.
//
// This folder is named to sort first: tap starts files in name order, and these two are the suite's longest.
import t from 'tap'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { repoPath } from '../helpers/repo.js'

/** The compiled unit-tier test files under build/test (every *.test.js but *.int.test.js), these runners aside. */
export function unitTierFiles(): string[] {
  const compiledTests = repoPath('build', 'test')
  return readdirSync(compiledTests, { recursive: true, encoding: 'utf8' })
    .filter(file => file.endsWith('.test.js') && !file.endsWith('.int.test.js') && !file.startsWith('all/'))
    .sort()
    .map(file => join(compiledTests, file))
}

/** Every `shares`-th unit-tier file from the `share`-th on (numbered from 1). */
export function unitTierShare(share: number, shares: number): string[] {
  return unitTierFiles().filter((_, index) => index % shares === share - 1)
}

/** Runs the files of one share of the unit tier, each in turn, in this process. */
export async function runUnitTierShare(share: number, shares: number): Promise<void> {
  for (const file of unitTierShare(share, shares)) {
    // Tap's root ends by itself once it is idle and something registered a root teardown (a file's shared app,
    // `startApp(t)` at its top): waiting on the import keeps the root busy while a file loads and starts what
    // it shares, so that an earlier file's last test ending meanwhile cannot end this process's run.
    await t.waitOn(import(pathToFileURL(file).href).catch((error: unknown) => t.threw(error)))
  }
}
