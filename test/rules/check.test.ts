// /login/check answered by the access rules (docs/forward-auth.md, "Access rules"): the original host, method and
// URI as each proxy sends them, every answer (200 with the user and groups, public without one, 401 naming where to
// sign in, 403), `?group=` winning over the rules, membership changes and rule changes taking effect at once, and
// the site's default.
import t from 'tap'
import type { AccessRule } from '../../src/storage/access-rules.js'
import { checkRule } from '../../src/rules/rule-spec.js'
import { startApp } from '../helpers/app.js'

const ADMIN = { actor: 'test' }
const { app, config, signIn } = await startApp(t, { publicUrl: 'https://login.example.org', site: 'example.org' })
const { ctx } = app
const alice = await signIn('alice')
const bob = await signIn('bob')
await ctx.groups.tree.ensureNamespace('staff', 'test', 'alice')
const aliceId = (await ctx.users.findByIdentity('test', 'alice'))!.id
const bobId = (await ctx.users.findByIdentity('test', 'bob'))!.id

async function add(input: object): Promise<AccessRule> {
  return ctx.rules.add(checkRule(input), ADMIN)
}

/** A check as nginx asks it (the whole original URL and method), or as Caddy and Traefik do (host, URI, method). */
function check(
  url: string,
  options: { cookie?: string; method?: string; proxy?: 'nginx' | 'traefik'; query?: string } = {},
) {
  const original = new URL(url)
  const headers: Record<string, string> =
    options.proxy === 'traefik'
      ? {
          'x-forwarded-host': original.host,
          'x-forwarded-uri': `${original.pathname}${original.search}`,
          'x-forwarded-proto': 'https',
          'x-forwarded-method': options.method ?? 'GET',
        }
      : { 'x-original-url': url, 'x-original-method': options.method ?? 'GET' }
  if (options.cookie) headers.cookie = options.cookie
  return app.inject({ url: `/login/check${options.query ?? ''}`, headers })
}

t.test('without rules: the default, signed-in', async t => {
  t.equal((await check('https://app.example.org/', { cookie: bob })).statusCode, 200)
  const away = await check('https://app.example.org/page?x=1')
  t.equal(away.statusCode, 401)
  t.equal(
    away.headers['x-login-redirect'],
    `https://login.example.org/login?next=${encodeURIComponent('https://app.example.org/page?x=1')}`,
  )
})

t.test('each answer, through either kind of proxy', async t => {
  await add({ host: 'app.example.org', path: '/staff', allow: 'staff | ops' })
  await add({ host: 'app.example.org', path: '/health', methods: 'GET', public: true })
  await add({ host: '*.example.org', path: '/private', deny: true })
  for (const proxy of ['nginx', 'traefik'] as const) {
    const member = await check('https://app.example.org/staff/list?page=2', { cookie: alice, proxy })
    t.equal(member.statusCode, 200, `${proxy}: a member passes`)
    t.equal(member.headers['x-login-user'], aliceId)
    t.equal(member.headers['x-login-name'], 'alice')
    t.equal(member.headers['x-login-groups'], 'staff', 'with the groups of the rule the user holds')
    const stranger = await check('https://app.example.org/staff', { cookie: bob, proxy })
    t.equal(stranger.statusCode, 403, `${proxy}: a non-member is refused`)
    t.equal(stranger.json().code, 'LOGIN_ERR_FORBIDDEN')
    const away = await check('https://app.example.org/staff', { proxy })
    t.equal(away.statusCode, 401, `${proxy}: signed out`)
    t.match(
      away.headers['x-login-redirect'],
      /^https:\/\/login\.example\.org\/login\?next=https%3A%2F%2Fapp\.example\.org%2Fstaff$/,
    )

    const open = await check('https://app.example.org/health', { proxy })
    t.equal(open.statusCode, 200, `${proxy}: public, signed out`)
    t.equal(open.headers['x-login-user'], undefined, 'without a user')
    const openSignedIn = await check('https://app.example.org/health', { cookie: alice, proxy })
    t.equal(openSignedIn.headers['x-login-user'], undefined, 'even when someone is signed in')
    t.equal(
      (await check('https://app.example.org/health', { method: 'POST', proxy })).statusCode,
      401,
      `${proxy}: POST is not public`,
    )

    t.equal(
      (await check('https://wiki.example.org/private/x', { cookie: alice, proxy })).statusCode,
      403,
      `${proxy}: denied`,
    )
    t.equal((await check('https://wiki.example.org/private/x', { proxy })).statusCode, 403, 'signed out as well')
    const plain = await check('https://wiki.example.org/', { cookie: bob, proxy })
    t.equal(plain.statusCode, 200, 'no rule: signed in is enough')
    t.equal(plain.headers['x-login-groups'], undefined, 'and no groups are named')
  }
})

t.test('?group= wins over the rules for that request', async t => {
  t.equal((await check('https://wiki.example.org/private/x', { cookie: alice, query: '?group=staff' })).statusCode, 200)
  t.equal((await check('https://app.example.org/health', { query: '?group=staff' })).statusCode, 401)
  t.equal((await check('https://app.example.org/staff', { cookie: bob, query: '?group=staff' })).statusCode, 403)
})

t.test('a membership granted or removed counts at once', async t => {
  t.equal((await check('https://app.example.org/staff', { cookie: bob })).statusCode, 403)
  const membership = await ctx.groups.membership.grant(bobId, 'ops')
  const granted = await check('https://app.example.org/staff', { cookie: bob })
  t.equal(granted.statusCode, 200, 'granted')
  t.equal(granted.headers['x-login-groups'], 'ops')
  t.equal((await check('https://app.example.org/staff', { cookie: bob, query: '?group=ops' })).statusCode, 200)
  await ctx.groups.membership.remove(membership.id)
  t.equal((await check('https://app.example.org/staff', { cookie: bob })).statusCode, 403, 'removed')
  t.equal((await check('https://app.example.org/staff', { cookie: bob, query: '?group=ops' })).statusCode, 403)
})

t.test('a rule added, moved or removed counts at once; first match wins', async t => {
  const url = 'https://app.example.org/staff/report'
  t.equal((await check(url, { cookie: bob })).statusCode, 403)
  const open = await add({ host: 'app.example.org', path: '/staff/report', public: true })
  t.equal((await check(url, { cookie: bob })).statusCode, 403, 'added last: the earlier staff rule still wins')
  const [first] = await ctx.rules.list()
  await ctx.rules.move(open.id, first!.id, ADMIN)
  t.equal((await check(url)).statusCode, 200, 'moved first: public')
  await ctx.rules.remove(open.id, ADMIN)
  t.equal((await check(url, { cookie: bob })).statusCode, 403, 'removed')
})

t.test('a rule that requires a passkey lets in a session begun with one, and no other', async t => {
  await add({ host: 'vault.example.org', allow: 'staff', require_passkey: true })
  const refused = await check('https://vault.example.org/', { cookie: alice })
  t.equal(refused.statusCode, 403, 'alice signed in with a provider')
  t.match(refused.json().message, /passkey/)
  // What a passkey sign-in ends with (the ceremony itself is tested with Chromium's virtual authenticator).
  const user = (await ctx.users.get(aliceId))!
  const started = { user, provider: 'passkey', amr: ['hwk', 'user'], ip: '127.0.0.1', userAgent: 'test' }
  const { token } = await ctx.sessions.start(started)
  const withPasskey = `${config.cookieName}=${token}`
  const passed = await check('https://vault.example.org/', { cookie: withPasskey })
  t.equal(passed.statusCode, 200, 'the same person signed in with a passkey')
  t.equal(passed.headers['x-login-groups'], 'staff')
  t.equal((await check('https://vault.example.org/', { cookie: bob })).statusCode, 403)
})

t.test("a group's members see which hosts and paths it opens, as JSON and on the groups page", async t => {
  const listed = (await app.inject({ url: '/login/access/groups', headers: { cookie: alice } })).json()
  t.match(listed, [
    {
      path: 'staff',
      opens: [
        { host: 'app.example.org', path: '/staff', methods: null, expression: 'staff | ops', passkey: false },
        { host: 'vault.example.org', path: '/', methods: null, expression: 'staff', passkey: true },
      ],
    },
  ])
  t.equal(listed[0].opens.length, 2, 'and nothing else')
  const page = await app.inject({ url: '/login/access/view/groups', headers: { cookie: alice } })
  t.equal(page.statusCode, 200)
  t.match(page.body, /<code>app\.example\.org\/staff<\/code> <small class="muted">when <code>staff \| ops<\/code>/)
  t.match(page.body, /<code>vault\.example\.org\/<\/code> <small class="muted">with a passkey/)
})

t.test('LOGIN_DEFAULT_RULE=deny refuses what no rule lets through', async t => {
  const strict = await startApp(t, { defaultRule: 'deny' })
  const cookie = await strict.signIn('carol')
  const ask = (host: string) =>
    strict.app.inject({ url: '/login/check', headers: { cookie, 'x-forwarded-host': host, 'x-forwarded-uri': '/' } })
  t.equal((await ask('app.example.org')).statusCode, 403)
  await strict.app.ctx.rules.add(checkRule({ host: 'app.example.org', allow: 'nobody | !nobody' }), ADMIN)
  t.equal((await ask('app.example.org')).statusCode, 200)
  t.equal((await ask('other.example.org')).statusCode, 403)
})
