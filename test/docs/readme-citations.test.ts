import { readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { repoPath } from '../helpers/repo.js'

// Code comments cite the README by section, (README, "<heading>"): each must name a heading, or a paragraph's
// bold lead, that exists.
const root = repoPath()

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true })
  return entries.filter(e => e.isFile() && /\.(ts|sql)$/.test(e.name)).map(e => join(e.parentPath, e.name))
}

/** The cited headings of one file's comments, with line breaks and comment markers folded into spaces. */
function citations(source: string): string[] {
  const folded = source.replace(/\s*\n\s*(\*|--|\/\/)?\s*/g, ' ')
  // "its README" is another project's (a dependency's): not ours to check.
  return [...folded.matchAll(/(?<!its )README, "([^"]+)"/g)].map(m => m[1]!)
}

t.test('every README section a comment cites exists', async t => {
  const readme = await readFile(join(root, 'README.md'), 'utf8')
  const headings = [
    ...[...readme.matchAll(/^#+ (?:\d+\. )?(.+)$/gm)].map(m => m[1]!.trim()),
    ...[...readme.matchAll(/^\*\*([^*]+?)\.?\*\*/gm)].map(m => m[1]!.trim()),
  ]
  const files = [...(await sourceFiles(join(root, 'src'))), ...(await sourceFiles(join(root, 'client', 'src')))]
  let cited = 0
  for (const file of files) {
    for (const heading of citations(await readFile(file, 'utf8'))) {
      cited++
      const found = headings.some(
        h => h === heading || (/^[ :,]/.test(h.slice(heading.length)) && h.startsWith(heading)),
      )
      t.ok(found, `${file.slice(root.length + 1)} cites "${heading}"`)
    }
  }
  t.ok(cited > 20, `the code cites the README (${cited} times)`)
})
