import t from 'tap'
import { isOnSite, validateNext, type RedirectPolicy } from '../../src/redirects.js'

const policy: RedirectPolicy = { site: 'example.com', allowedHosts: ['partner.org'] }

/** Short printable test name: escapes control characters, trims long values. */
const label = (value: string): string => {
  const shown = JSON.stringify(value).replace(
    /[\u0080-\uffff]/g,
    c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )
  return shown.length > 70 ? `${shown.slice(0, 60)}… (${value.length} chars)` : shown
}

/*
 * Hostile values. Sources of the tricks:
 * - oauth2-proxy: bitly #478 (`//host`), CVE-2020-5233 / GHSA-qqxw-m5fj-f7gv (`/\host`),
 *   CVE-2020-11053 / GHSA-j7px-6hwj-hpjg (tab, LF, VT, CR between slashes, raw or %-encoded),
 *   CVE-2020-4037 / GHSA-5m6c-jp6f-2vcv (mixed whitespace, `/./\host`, dot segments),
 *   CVE-2021-21291 / GHSA-4mf2-f3wh-gvf2 (domain look-alike suffixes), and its
 *   testdata/openredirects.txt (encoded hosts, `%40`, `#@`, numeric IPs, `http:host`).
 * - Keycloak: CVE-2023-6291 / GHSA-mpwq-j3xf-7m5w (userinfo to escape the allowed host),
 *   CVE-2026-7504 (several `@` in userinfo), CVE-2023-6134 and CVE-2026-9086 (`javascript:`
 *   and `data:` in any case), CVE-2024-8883 (loopback hosts), CVE-2024-1132 and CVE-2026-3872
 *   (`..;/` path traversal: harmless here since any path on an allowed host is fine, see legit).
 * - Authelia: #290 and GHSA-36f2-fcrx-fp4j (`rd` not checked against the domain, on logout
 *   too: callers must validate every redirecting endpoint), CVE-2026-48794 (host case, see legit).
 * - Pomerium: CVE-2021-29651 / GHSA-35vc-w93w-75c2 and CVE-2021-29652 / GHSA-fv82-r8qv-ch4v
 *   (arbitrary absolute `pomerium_redirect_uri`, also on sign-out): host allow-list below.
 */
const hostile: string[] = [
  // protocol-relative and slash tricks
  '//evil.com',
  '///evil.com',
  '////evil.com/',
  '/\\evil.com',
  '/\\/evil.com',
  '\\/\\/evil.com',
  '\\\\evil.com',
  '/./\\evil.com',
  '/./../../\\evil.com',
  '/.//evil.com',
  '/a/..//evil.com',
  '/%2e%2e//evil.com',
  '/%2f%2fevil.com',
  '/%2F/evil.com',
  '/%5cevil.com',
  '/%5C%5Cevil.com',
  '%2f%2fevil.com',
  // whitespace and control characters, raw and encoded
  '/\t/evil.com',
  '/%09/evil.com',
  '/\n/evil.com',
  '/%0a/evil.com',
  '/\r/evil.com',
  '/%0d%0a/evil.com',
  '/\v/evil.com',
  '/%0b/evil.com',
  '/ /evil.com',
  '/%20/evil.com',
  '/%20%20/evil.com',
  '/%20%2F/evil.com',
  '/a%09b',
  '/\t\t/\t\t\\evil.com',
  '/\u00a0/evil.com',
  '/%E3%80%80/evil.com',
  '/\u200b/evil.com',
  '/\u202e/moc.live',
  '/%00/evil.com',
  '\t//evil.com',
  ' https://example.com/',
  '/ok\r\nSet-Cookie: x=1',
  // schemes other than http(s), and malformed http(s)
  'javascript:alert(1)',
  'JaVaScRiPt:alert(1)',
  ' javascript:alert(1)',
  '\tjavascript:alert(1)',
  'java%0ascript:alert(1)',
  'javascript://example.com/%0aalert(1)',
  'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
  'DATA:text/html,<script>alert(1)</script>',
  'vbscript:msgbox(1)',
  'file:///etc/passwd',
  'ftp://example.com/',
  'http:/evil.com',
  'http:evil.com',
  'https:example.com',
  'https:\\\\evil.com',
  'https:/\\/\\evil.com',
  'http:///evil.com',
  'https:////evil.com',
  'evil.com',
  'example.com/path',
  '@evil.com',
  // credentials (userinfo)
  'https://example.com@evil.com',
  'https://user:pw@example.com/',
  'https://a@b@evil.com',
  'https://evil.com\\@example.com',
  'http://example.com:80@evil.com/',
  'https://example.com%40evil.com/',
  'http://example.com:80%40evil.com/',
  'http://example.com+&@evil.com#+@example.com/',
  // hosts that are not ours, look-alikes
  'https://evil.com',
  'https://evilexample.com',
  'https://evil-example.com/',
  'https://example.com.evil.com',
  'https://example.com-evil.com/',
  'https://evil.com/example.com',
  'https://evil.com?.example.com',
  'https://evil.com#.example.com',
  'http://evil.com:80#@example.com/',
  'https://partner.org.evil.com/',
  'https://sub.partner.org/',
  'https://evil.com;.example.com/',
  'https://*.example.com/',
  'https://example.com./',
  'https://app.example.com./x',
  'https://example.com../',
  // encoded, Unicode and homograph hosts
  'http://evil.com%2eexample.com/',
  'http://evil.com%23.example.com/',
  'http://%65xample.com/',
  'http://evil%E3%80%82example.com/',
  'https://evil.com\u3002example.com/',
  'https://ex\u0430mple.com/',
  'https://\u0430pp.example.com/',
  'https://\uff45xample.com/',
  'http://exa\u00admple.com/',
  // IP addresses
  'http://127.0.0.1/',
  'http://216.58.214.206/',
  'http://0xd83ad6ce/',
  'http://3627734734/',
  'http://0330.072.0326.0316/',
  'http://[::1]/',
  'http://[::ffff:216.58.214.206]/',
  // overlong
  '/' + 'a'.repeat(2048),
  'https://example.com/' + 'a'.repeat(2048),
]

/** Legitimate values, some close to the hostile ones, with their exact normalised output. */
const legit: Array<[string | undefined | null, string]> = [
  [undefined, '/'],
  [null, '/'],
  ['', '/'],
  ['/', '/'],
  ['/a//b', '/a//b'],
  ['/search?q=a%20b#x%20y', '/search?q=a%20b#x%20y'], // encoded spaces in query and fragment never decide the host
  ['/path/with%20space', '/path/with%20space'], // and inside a path segment they are an ordinary name
  ['/my%20files/a%20b/', '/my%20files/a%20b/'],
  ['https://example.com/shared%20folder?x=1', 'https://example.com/shared%20folder?x=1'],
  ['/path?next=//evil.com', '/path?next=//evil.com'],
  ['/path?next=https://evil.com', '/path?next=https://evil.com'],
  ['/x#@evil.com', '/x#@evil.com'],
  ['/a/../b', '/b'],
  ['/a/..;/b', '/a/..;/b'],
  ['/caf\u00e9', '/caf%C3%A9'],
  ['/%252f%252fevil.com', '/%252f%252fevil.com'],
  ['/search?q=a+b&x=%2F', '/search?q=a+b&x=%2F'],
  ['/' + 'a'.repeat(2047), '/' + 'a'.repeat(2047)],
  ['https://example.com', 'https://example.com/'],
  ['HTTPS://Example.COM/', 'https://example.com/'],
  ['https://app.example.com:8443/x', 'https://app.example.com:8443/x'],
  ['https://example.com:443/x', 'https://example.com/x'],
  ['https://a.b.example.com', 'https://a.b.example.com/'],
  ['https://a.B.Example.com/p', 'https://a.b.example.com/p'],
  ['https://my_app.example.com/', 'https://my_app.example.com/'],
  ['https://xn--bcher-kva.example.com/', 'https://xn--bcher-kva.example.com/'],
  ['https://partner.org/cb', 'https://partner.org/cb'],
  ['hTtP://partner.org:8080/cb?x=1', 'http://partner.org:8080/cb?x=1'],
  ['https://example.com/cb?next=//evil.com#@evil.com', 'https://example.com/cb?next=//evil.com#@evil.com'],
  ['https://example.com/a/../b', 'https://example.com/b'],
  ['https://example.com/%2e%2e/x', 'https://example.com/x'],
]

t.test('hostile values are refused with LOGIN_ERR_BAD_NEXT', async t => {
  for (const value of hostile) {
    t.throws(() => validateNext(value, policy), { code: 'LOGIN_ERR_BAD_NEXT', statusCode: 400 }, label(value))
  }
})

t.test('legitimate values pass, normalised', async t => {
  for (const [value, expected] of legit) {
    t.equal(validateNext(value, policy), expected, label(String(value)))
  }
})

t.test('the fallback is used only for an absent value', async t => {
  t.equal(validateNext('', policy, '/home'), '/home')
  t.equal(validateNext(undefined, policy, '/home'), '/home')
  t.equal(validateNext('/x', policy, '/home'), '/x')
})

t.test('reasons name the problem', async t => {
  const reasons: Array<[string, RegExp]> = [
    ['javascript:alert(1)', /must be a relative path or an http\(s\) URL on example\.com/],
    ['/\\evil.com', /contains a backslash/],
    ['/%5cevil.com', /encoded backslash/],
    ['/\t/evil.com', /control characters/],
    ['/%09/evil.com', /encoded control characters/],
    ['https://example.com@evil.com', /must not contain credentials \(user@\)/],
    ['//evil.com', /must not start with \/\//],
    ['/.//evil.com', /resolves to a path starting with \/\//],
    ['https://evil.com/', /host evil\.com is not on this site/],
    ['https://evil.com;.example.com/', /letters, digits, hyphens/],
    ['https://example.com./', /must not end with a dot/],
    ['https://ex\u0430mple.com/', /plain lower-case ASCII/],
    ['http://127.0.0.1/', /IP address/],
    ['/' + 'a'.repeat(3000), /longer than 2048/],
  ]
  for (const [value, reason] of reasons) {
    t.throws(() => validateNext(value, policy), { message: reason }, label(value))
  }
  t.throws(() => validateNext('https://evil.com/', policy), { message: /^Invalid next URL: / })
})

t.test('IP addresses pass only when listed exactly', async t => {
  const withIp: RedirectPolicy = { site: 'example.com', allowedHosts: ['10.0.0.5'] }
  t.equal(validateNext('http://10.0.0.5:8080/x', withIp), 'http://10.0.0.5:8080/x')
  t.throws(() => validateNext('http://10.0.0.6/', withIp), { code: 'LOGIN_ERR_BAD_NEXT' })
  t.throws(() => validateNext('http://0x0a000005/', withIp), { code: 'LOGIN_ERR_BAD_NEXT' })
})

t.test('site localhost', async t => {
  const local: RedirectPolicy = { site: 'localhost', allowedHosts: [] }
  const ok: Array<[string, string]> = [
    ['http://localhost:8080/x', 'http://localhost:8080/x'],
    ['http://app.localhost/', 'http://app.localhost/'],
    ['http://LOCALHOST:3000', 'http://localhost:3000/'],
    ['/x?y=1', '/x?y=1'],
  ]
  for (const [value, expected] of ok) t.equal(validateNext(value, local), expected, label(value))
  const refused = [
    'http://localhost.evil.com',
    'http://localhost.evil.com:8080/',
    'http://evillocalhost/',
    'http://evil.com/localhost',
    'http://localhost@evil.com/',
    'http://localhost:8080@evil.com/',
    'http://localhost./',
    'http://127.0.0.1:8080/',
    'http://[::1]:8080/',
  ]
  for (const value of refused) {
    t.throws(() => validateNext(value, local), { code: 'LOGIN_ERR_BAD_NEXT' }, label(value))
  }
})

t.test('isOnSite (also used for Origin checks)', async t => {
  for (const host of ['example.com', 'app.example.com', 'a.b.example.com', 'partner.org']) {
    t.ok(isOnSite(host, policy), host)
  }
  for (const host of [
    'evilexample.com',
    'example.com.evil.com',
    'sub.partner.org',
    'evil.com;.example.com',
    'example.com.',
    '127.0.0.1',
    '[::1]',
    '',
  ]) {
    t.notOk(isOnSite(host, policy), JSON.stringify(host))
  }
})
