// `npm run docs:config`: writes the configuration reference of docs/operating.md from src/config.ts
// (test/docs/config-reference.test.ts fails while the two differ).
import { readFileSync, writeFileSync } from 'node:fs'
import { withConfigReference } from './config-reference.js'

const PAGE = new URL('../docs/operating.md', import.meta.url)
const before = readFileSync(PAGE, 'utf8')
const after = withConfigReference(before)
if (after === before) console.log('docs/operating.md: the configuration reference is up to date')
else {
  writeFileSync(PAGE, after)
  console.log('docs/operating.md: the configuration reference was rewritten from src/config.ts')
}
