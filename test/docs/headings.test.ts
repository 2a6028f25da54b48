// Every section the README had when it was split into docs/ pages still has a home: a heading of the same name
// (step numbers aside) in the README, CONTRIBUTING.md or a page under docs/. A section may move; it may not vanish.
import t from 'tap'
import { pages, sectionName } from './markdown.js'

/** The README's headings before the split, in their order there. */
const SECTIONS = [
  'modular-login',
  'Trying it',
  'Pages',
  'Running the tests',
  'Configuration',
  'Sessions and leases',
  'Errors',
  'Security',
  'Forward-auth: nginx, Caddy, Traefik',
  'CLI',
  'Operating it: health, readiness, metrics',
  'Logs',
  'Metrics',
  'Running several nodes',
  'Sizing',
  'Adding OAuth providers',
  'Register an application at each provider',
  'Write `credentials.json`',
  'Sign-in, linking and failures',
  'Testing and staging: `base_url`',
  'Adding a provider preset',
  'Access groups',
  'The chat example, step by step',
  'Limits on sharing',
  'Endpoints',
  'Who may remove whom',
  'Client applications and the realtime channel',
  'Registering an application',
  'The Node client library',
  'The wire protocol (version 1)',
  'Authentication: the first message',
  'Pushed by the server',
  'Requests and replies',
  'Apps are scoped',
  'Limits and close codes',
  'Verifying leases in another language',
  'Several server processes',
  'OpenID Provider',
  'Registering a client',
  'What a user sees',
  'Claims',
  'Ending a session ends what it issued',
  // Was "Grafana, Gitea and Apache side by side", until Nextcloud joined the recipes.
  'Grafana, Gitea, Nextcloud and Apache side by side',
  'State',
  'Benchmarks',
  'Layout',
]

t.test('every section of the README before the split has a home', async t => {
  const homes = new Map<string, string[]>()
  for (const page of pages())
    for (const heading of page.headings)
      homes.set(sectionName(heading), [...(homes.get(sectionName(heading)) ?? []), page.path])
  for (const section of SECTIONS)
    t.ok(homes.has(section), `"${section}": ${homes.get(section)?.join(', ') ?? 'nowhere'}`)
})

t.test('the README is the front door, not the manual', async t => {
  const readme = pages().find(page => page.path === 'README.md')!
  const lines = readme.text.split('\n').length
  t.ok(lines <= 250, `README.md has ${lines} lines`)
})
