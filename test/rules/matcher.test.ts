// Which rule answers which request: hosts, wildcards, paths, globs, methods, order and the default
// (docs/forward-auth.md, "Access rules"), through the compiled matcher and the request normalisation in front of it.
import t, { type Test } from 'tap'
import { RuleMatcher } from '../../src/rules/matcher.js'
import { requestHost, requestPath } from '../../src/rules/request-path.js'
import { checkRule } from '../../src/rules/rule-spec.js'
import type { AccessRule } from '../../src/storage/access-rules.js'

/** Rules as `rule add` would store them, ids 101… in list order. */
function compile(...inputs: object[]): RuleMatcher {
  const rules: AccessRule[] = inputs.map((input, i) => ({
    ...checkRule(input),
    id: 101 + i,
    position: i + 1,
    created: 0,
  }))
  return new RuleMatcher(rules)
}

/** The id of the rule a request meets (as the check reads the proxy's headers), or null for the default. */
function winner(matcher: RuleMatcher, url: string, method = 'GET'): number | null {
  const { host, pathname, search } = new URL(url)
  return matcher.match(requestHost(host), method, requestPath(`${pathname}${search}`))?.rule.id ?? null
}

function table(t: Test, matcher: RuleMatcher, cases: [string, number | null, string?][]) {
  for (const [url, expected, method] of cases)
    t.equal(winner(matcher, url, method), expected, `${method ?? 'GET'} ${url}`)
}

t.test('hosts: exact names, then wildcards by suffix, then every host; in list order', async t => {
  const matcher = compile(
    { host: 'app.example.org', allow: 'staff' }, // 101
    { host: '*.example.org', deny: true }, // 102
    { host: '*.eu.example.org', public: true }, // 103
    { host: 'wiki.example.org', public: true }, // 104: after the wildcard that covers it
    { host: '*', allow: 'everyone' }, // 105
  )
  table(t, matcher, [
    ['https://app.example.org/', 101],
    ['https://APP.Example.org.:8443/x', 101],
    ['https://wiki.example.org/', 102],
    ['https://a.eu.example.org/', 102],
    ['https://deep.a.example.org/', 102],
    ['https://example.org/', 105],
    ['https://other.net/', 105],
    ['https://notexample.org/', 105],
  ])
  const noCatchAll = compile({ host: 'app.example.org', public: true }, { host: '*.example.org', deny: true })
  table(t, noCatchAll, [
    ['https://elsewhere.net/', null],
    ['https://example.org/', null],
    ['https://x.example.org/', 102],
  ])
})

t.test('paths: prefixes by whole segments, globs, the first in list order', async t => {
  const matcher = compile(
    { host: 'app.example.org', path: '/admin/public', public: true }, // 101
    { host: 'app.example.org', path: '/admin/', allow: 'admins' }, // 102
    { host: 'app.example.org', path: '/*.php', deny: true }, // 103
    { host: 'app.example.org', path: '/files/*/secret', deny: true }, // 104
    { host: 'app.example.org', path: '/static/**', public: true }, // 105
    { host: 'app.example.org', allow: 'staff' }, // 106
    { host: 'app.example.org', path: '/admin/public/x', deny: true }, // 107: shadowed by 101
  )
  table(t, matcher, [
    ['https://app.example.org/admin', 102],
    ['https://app.example.org/admin/', 102],
    ['https://app.example.org/admin/users?id=1', 102],
    ['https://app.example.org/administrator', 106],
    ['https://app.example.org/admin/public/x', 101],
    ['https://app.example.org/admin/publicity', 102],
    ['https://app.example.org/index.php', 103],
    ['https://app.example.org/admin/index.php', 102],
    ['https://app.example.org/dir/index.php', 106],
    ['https://app.example.org/files/a/secret', 104],
    ['https://app.example.org/files/a/b/secret', 106],
    ['https://app.example.org/files/a/secret/more', 106],
    ['https://app.example.org/static/css/site.css', 105],
    ['https://app.example.org/static', 106],
    ['https://app.example.org/', 106],
  ])
})

t.test('methods: a rule with methods passes the others on', async t => {
  const matcher = compile(
    { host: 'api.example.org', path: '/items', methods: 'GET,head', public: true }, // 101
    { host: 'api.example.org', path: '/items', methods: ['POST'], allow: 'writers' }, // 102
    { host: 'api.example.org', deny: true }, // 103
  )
  table(t, matcher, [
    ['https://api.example.org/items', 101, 'GET'],
    ['https://api.example.org/items/1', 101, 'HEAD'],
    ['https://api.example.org/items', 102, 'POST'],
    ['https://api.example.org/items', 103, 'DELETE'],
  ])
})

t.test(
  'the path is the one the app will read: escapes, dot segments and double slashes cannot dodge a rule',
  async t => {
    const matcher = compile(
      { host: 'app.example.org', path: '/admin', deny: true }, // 101
      { host: 'app.example.org', path: '/caf%C3%A9', public: true }, // 102
      { host: 'app.example.org', allow: 'staff' }, // 103
    )
    table(t, matcher, [
      ['https://app.example.org/%61dmin', 101],
      ['https://app.example.org/x/../admin', 101],
      ['https://app.example.org//admin', 101],
      ['https://app.example.org/./admin/', 101],
      ['https://app.example.org/%2e%2e/admin', 101],
      ['https://app.example.org/a%2F..%2Fadmin', 101],
      ['https://app.example.org/café', 102],
      ['https://app.example.org/caf%c3%a9/menu', 102],
      ['https://app.example.org/adm%69n?x=/admin', 101],
      ['https://app.example.org/%zz', 103],
    ])
    t.equal(requestPath('/a/b?c#d'), '/a/b')
    t.equal(requestPath('/a/b/..'), '/a/')
    t.equal(requestPath('no-slash'), '/no-slash')
    const plain = '/already/plain/path'
    t.equal(requestPath(plain), plain, 'a plain path is used as it is')
    t.equal(requestHost('[::1]:8080'), '[::1]')
  },
)

t.test('order across hosts: a wildcard rule before an exact one wins for that host', async t => {
  const matcher = compile(
    { host: '*.example.org', path: '/health', public: true }, // 101
    { host: 'app.example.org', deny: true }, // 102
    { host: '*', path: '/health', deny: true }, // 103
  )
  table(t, matcher, [
    ['https://app.example.org/health', 101],
    ['https://app.example.org/other', 102],
    ['https://x.other.net/health', 103],
  ])
})

t.test('ten thousand rules: the one in the middle is found', async t => {
  const inputs = Array.from({ length: 10_000 }, (_, i) =>
    i % 2 ? { host: `host-${i}.example.org`, allow: 'staff' } : { host: 'app.example.org', path: `/s${i}`, deny: true },
  )
  const matcher = compile(...inputs)
  t.equal(winner(matcher, 'https://app.example.org/s5000/page'), 5101)
  t.equal(winner(matcher, 'https://host-5001.example.org/'), 5102)
  t.equal(winner(matcher, 'https://app.example.org/s5001'), null)
})
