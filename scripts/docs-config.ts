// `npm run docs:config`: writes the configuration reference of docs/operating.md from src/config.ts
// (test/docs/config-reference.test.ts fails while the two differ).
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { packageRoot } from '../src/package-files.js'
import { withConfigReference } from './config-reference.js'

const PAGE = join(packageRoot, 'docs', 'operating.md')
const before = readFileSync(PAGE, 'utf8')
const after = withConfigReference(before)
if (after === before) console.log('docs/operating.md: the configuration reference is up to date')
else {
  writeFileSync(PAGE, after)
  console.log('docs/operating.md: the configuration reference was rewritten from src/config.ts')
}
