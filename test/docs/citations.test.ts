import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { pages, root, sectionName, type Page } from './markdown.js'

// Comments cite the documentation by page and section: the README as README, any other page by its path (docs/
// security.md, CONTRIBUTING.md), then the section's name in double quotes. Each cited section must be a heading of
// that page, or a paragraph's bold lead there.

/** Where comments are: the server, the client library, the tests, the benchmarks and the examples. */
const SOURCES = ['src', 'client/src', 'test', 'bench', 'examples']

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(join(root, dir), { withFileTypes: true, recursive: true })
  return entries.filter(e => e.isFile() && /\.(ts|js|mjs|sql)$/.test(e.name)).map(e => join(e.parentPath, e.name))
}

interface Citation {
  page: string
  section: string
}

/** The citations of one file's comments, with line breaks and comment markers folded into spaces. */
function citations(source: string): Citation[] {
  const folded = source.replace(/\s*\n\s*(\*|--|\/\/)?\s*/g, ' ')
  // "its README" is another project's (a dependency's): not ours to check.
  return [...folded.matchAll(/(?<!its )\b(README|CONTRIBUTING\.md|docs\/[a-z0-9/-]+\.md), "([^"]+)"/g)].map(m => ({
    page: m[1] === 'README' ? 'README.md' : m[1]!,
    section: m[2]!,
  }))
}

/** Whether a page has the section: a heading or bold lead of that name, or one that goes on after it (`Forward-auth`
 * names "Forward-auth: nginx, Caddy, Traefik"). */
function has(page: Page, section: string): boolean {
  return [...page.headings.map(sectionName), ...page.leads].some(
    name => name === section || (name.startsWith(section) && /^[ :,]/.test(name.slice(section.length))),
  )
}

t.test('every section a comment cites exists on the page it names', async t => {
  const byPath = new Map(pages().map(page => [page.path, page]))
  let cited = 0
  for (const dir of SOURCES) {
    for (const file of await sourceFiles(dir)) {
      for (const { page, section } of citations(await readFile(file, 'utf8'))) {
        cited++
        const target = byPath.get(page)
        t.ok(target && has(target, section), `${file.slice(root.length + 1)} cites ${page}, "${section}"`)
      }
    }
  }
  t.ok(cited > 50, `the code cites the documentation (${cited} times)`)
})

t.test('citations are read across comment lines and markers', async t => {
  t.same(citations('// as the page says (docs/security.md,\n// "Apps are scoped").'), [
    { page: 'docs/security.md', section: 'Apps are scoped' },
  ])
  t.same(citations(' * (README,\n * "The parts")\n-- (CONTRIBUTING.md, "Running the tests")'), [
    { page: 'README.md', section: 'The parts' },
    { page: 'CONTRIBUTING.md', section: 'Running the tests' },
  ])
  t.same(citations('(its README, "Multiple providers")'), [], "a dependency's README is not ours")
})
