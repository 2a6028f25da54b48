import { isAbsolute, join } from 'node:path'
import { packageRoot } from '../../src/package-files.js'

/**
 * A file of this repository by its path from the root (`repoPath('README.md')`). Tests run compiled, from
 * build/test/, so a path relative to the test file's own place would name a folder of build/.
 */
export function repoPath(...segments: string[]): string {
  return join(packageRoot, ...segments)
}

/**
 * The compiled twin of one of the repository's TypeScript files, by its path from the root:
 * `src/main.ts` → `<root>/build/src/main.js` (test/setup/build.mjs builds them before the tests run).
 */
export function compiledPath(source: string): string {
  if (isAbsolute(source) || source.startsWith('.') || !source.endsWith('.ts'))
    throw new Error(`${source}: give a TypeScript file by its path from the repository's root, e.g. src/main.ts`)
  return repoPath('build', source.replace(/\.ts$/, '.js'))
}
