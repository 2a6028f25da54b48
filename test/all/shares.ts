// Some test files share a process rather than each having one. Every test process pays the same fixed price
// before its first assertion: tap and the app are imported, and each module load goes through tap's coverage and
// process-tracking hooks (a thread of their own before Node.js 24.13). Across the unit tier's files that price came
// to more than their tests themselves, so the unit tier runs in two processes, each importing half of its files
// one after the other, their tests running as that process's subtests in file order. The browser tests of
// test/browser/ run likewise in three, which also share one Chromium per process (test/helpers/browser.ts), each
// file in browser profiles of its own. A failure's `at:` still names its file and line, and
// `npx tap test/auth/routes.test.ts` still runs one file alone. The other integration-tier files keep a process
// each: they start servers and clusters and wait on them, and in shared processes those waits ran one after the
// other and the tier took longer, not less.
//
// Files sharing a process may leave no change behind them: no hooks or plans on tap's root (`t.beforeEach`,
// `t.plan` outside a subtest), no change to `process.env` or to globals that outlives the subtest making it. A
// root `t.teardown` runs when the whole process ends. CONTRIBUTING.md says so too.
//
// This folder is named to sort first: tap starts files in name order, and these are the suite's longest.
import t from 'tap'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { repoPath } from '../helpers/repo.js'

/** The files that share processes: the unit tier, and the integration-tier files of test/browser/. */
export type Shared = 'unit' | 'browser'

/** The compiled test files (under build/test) of one of the groups that share processes, in name order. */
export function sharedFiles(group: Shared): string[] {
  const compiledTests = repoPath('build', 'test')
  const belongs =
    group === 'unit'
      ? (file: string) => file.endsWith('.test.js') && !file.endsWith('.int.test.js') && !file.startsWith('all/')
      : (file: string) => file.startsWith('browser/') && file.endsWith('.int.test.js')
  return readdirSync(compiledTests, { recursive: true, encoding: 'utf8' })
    .filter(belongs)
    .sort()
    .map(file => join(compiledTests, file))
}

/** Every `shares`-th file of the group from the `share`-th on (numbered from 1). */
export function share(group: Shared, index: number, shares: number): string[] {
  return sharedFiles(group).filter((_, position) => position % shares === index - 1)
}

/** Runs the files of one share, each in turn, in this process. */
export async function runShare(group: Shared, index: number, shares: number): Promise<void> {
  for (const file of share(group, index, shares)) {
    // Tap's root ends by itself once it is idle and something registered a root teardown (a file's shared app,
    // `startApp(t)` at its top): waiting on the import keeps the root busy while a file loads and starts what
    // it shares, so that an earlier file's last test ending meanwhile cannot end this process's run.
    await t.waitOn(import(pathToFileURL(file).href).catch((error: unknown) => t.threw(error)))
  }
}
