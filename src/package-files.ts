import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const PACKAGE_NAME = 'modular-login'

/**
 * The package root: the nearest folder above this file whose package.json is this package's. The compiled
 * server sits in `dist/`, the tests' build in `build/src/`, an installed copy under `node_modules/`: searching
 * upward finds templates, migrations and static files from any of them.
 */
function findPackageRoot(from: string): string {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json')
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME
    )
      return dir
    if (dirname(dir) === dir) throw new Error(`no package.json of ${PACKAGE_NAME} above ${from}`)
  }
}

export const packageRoot = findPackageRoot(fileURLToPath(import.meta.url))

export const templatesDir = join(packageRoot, 'templates')
export const migrationsDir = join(packageRoot, 'src', 'storage', 'migrations')
