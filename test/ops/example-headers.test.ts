// Each example's opening comment names every setting the example reads, so
// that nobody has to read the code to find out how to start it.
import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { repoPath } from '../helpers/repo.js'

const dir = repoPath('examples')

for (const file of readdirSync(dir).filter(name => name.endsWith('.js'))) {
  t.test(`examples/${file}`, async t => {
    const source = readFileSync(join(dir, file), 'utf8')
    const header = source.slice(0, source.search(/^(?!\/\/)/m))
    const settings = new Set([...source.matchAll(/process\.env\.([A-Z_]+)/g)].map(match => match[1]!))
    t.ok(settings.size > 0, 'it reads settings')
    for (const name of settings) t.match(header, new RegExp(`\\b${name}\\b`), `the header names ${name}`)
    if (source.includes('process.argv[2]')) t.match(header, /first argument/, 'and its argument')
  })
}
