// Every relative link and image in the README, CONTRIBUTING.md and docs/ reaches a file of the repository, and every
// #anchor names a heading of the page it points into (as GitHub names them).
import t from 'tap'
import { existsSync } from 'node:fs'
import { dirname, join, normalize, relative } from 'node:path'
import { githubSlug, page, pages, root, withoutCode } from './markdown.js'

/** The link targets of a page's prose: markdown links and images, and HTML `src`/`href` attributes. */
function targets(text: string): string[] {
  const prose = withoutCode(text).replace(/(`+)[\s\S]*?\1/g, '')
  return [
    ...[...prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map(m => m[1]!),
    ...[...prose.matchAll(/\b(?:src|href)="([^"]+)"/g)].map(m => m[1]!),
  ]
}

const external = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target)

t.test('every relative link and anchor resolves', async t => {
  let checked = 0
  for (const from of pages()) {
    for (const target of targets(from.text).filter(target => !external(target))) {
      checked++
      const [path, anchor] = target.split('#', 2) as [string, string | undefined]
      const file = path ? normalize(join(dirname(from.path), decodeURI(path))) : from.path
      const where = `${from.path} → ${target}`
      if (relative(root, join(root, file)).startsWith('..')) {
        t.fail(`${where}: outside the repository`)
        continue
      }
      if (!existsSync(join(root, file))) {
        t.fail(`${where}: ${file} does not exist`)
        continue
      }
      if (anchor !== undefined) {
        if (!file.endsWith('.md')) t.fail(`${where}: an anchor into a file that is not a page`)
        else t.ok(page(file).anchors.has(anchor), `${where}: #${anchor} is a heading of ${file}`)
      } else t.pass(where)
    }
  }
  t.ok(checked > 50, `the pages link to each other (${checked} links)`)
})

t.test('the link check reads links as GitHub does', async t => {
  t.same(targets('[a](docs/x.md#y) ![b](pic.png "title") <img src="s.png"> `[c](not-a-link.md)`'), [
    'docs/x.md#y',
    'pic.png',
    's.png',
  ])
  t.same(targets('[a link whose text\nbreaks a line](page.md)'), ['page.md'])
  t.same(targets('```\n[in code](code.md)\n```\n'), [])
})

t.test('anchors are named as GitHub names them', async t => {
  // The anchors the README linked to before the split, as GitHub made them.
  t.equal(githubSlug('Forward-auth: nginx, Caddy, Traefik'), 'forward-auth-nginx-caddy-traefik')
  t.equal(githubSlug('Operating it: health, readiness, metrics'), 'operating-it-health-readiness-metrics')
  t.equal(githubSlug('1. Registering an application'), '1-registering-an-application')
  t.equal(githubSlug('2. Write `credentials.json`'), '2-write-credentialsjson')
  t.equal(githubSlug('Testing and staging: `base_url`'), 'testing-and-staging-base_url')
  t.equal(githubSlug('The wire protocol (version 1)'), 'the-wire-protocol-version-1')
})
