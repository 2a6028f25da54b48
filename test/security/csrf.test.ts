// Requests that a page on another origin of the site (a sibling subdomain, another port) can make with the
// visitor's cookie: fetch(url, {method: 'POST', credentials: 'include', mode: 'no-cors'}) and form posts.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { sidOf, startApp } from '../helpers/app.js'
import { openLink } from '../helpers/invitations.js'

const sibling = { origin: 'http://app.localhost', 'sec-fetch-site': 'same-site' }

/** What a page that has no form token can send without a CORS preflight. */
const shapes: { name: string; headers: Record<string, string>; payload?: string }[] = [
  { name: 'no body' },
  { name: 'text/plain', headers: { 'content-type': 'text/plain' }, payload: 'x' },
  { name: 'a form without token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'a=1' },
  { name: 'multipart', headers: { 'content-type': 'multipart/form-data; boundary=x' }, payload: '--x--\r\n' },
].map(shape => ({ ...shape, headers: shape.headers ?? {} }))

interface Victim {
  cookie: string
  /** The endpoint to attack and how to tell whether the attack worked. */
  url: string
  harmed(): Promise<boolean>
}

type Setup = (app: FastifyInstance, signIn: (who: string) => Promise<string>) => Promise<Victim>

const stillSignedIn = async (app: FastifyInstance, cookie: string) =>
  (await app.inject({ url: '/login/check', headers: { cookie } })).statusCode === 200

const targets: Record<string, Setup> = {
  'delete the account': async (app, signIn) => {
    const cookie = await signIn('alice')
    return { cookie, url: '/login/delete', harmed: async () => !(await stillSignedIn(app, cookie)) }
  },
  'sign out': async (app, signIn) => {
    const cookie = await signIn('alice')
    return { cookie, url: '/login/logout', harmed: async () => !(await stillSignedIn(app, cookie)) }
  },
  'revoke another session': async (app, signIn) => {
    const cookie = await signIn('alice')
    const other = await signIn('alice')
    return { cookie, url: `/login/deauthorize/${sidOf(other)}`, harmed: async () => !(await stillSignedIn(app, other)) }
  },
  'accept an invitation': async (app, signIn) => {
    const { id } = await app.ctx.groups.invitations.create(
      (await app.ctx.groups.tree.ensureNamespace('club', 'test', 'boss')).owner.id,
      openLink('club'),
    )
    const cookie = await signIn('alice')
    const user = (await app.ctx.users.findByIdentity('test', 'alice'))!.id
    return {
      cookie,
      url: `/login/access/add/${id}`,
      harmed: async () => app.ctx.groups.membership.isMember(user, 'club'),
    }
  },
  'leave a group': async (app, signIn) => {
    const cookie = await signIn('alice')
    const user = (await app.ctx.users.findByIdentity('test', 'alice'))!.id
    const membership = await app.ctx.groups.membership.grant(user, 'team')
    return {
      cookie,
      url: `/login/access/leave/${membership.id}`,
      harmed: async () => !(await app.ctx.groups.membership.isMember(user, 'team')),
    }
  },
}

t.test('a sibling origin cannot change state without the form token', async t => {
  for (const [what, setup] of Object.entries(targets)) {
    for (const shape of shapes) {
      const { app, signIn } = await startApp(t)
      const victim = await setup(app, signIn)
      const response = await app.inject({
        method: 'POST',
        url: victim.url,
        headers: { cookie: victim.cookie, ...sibling, ...shape.headers },
        ...(shape.payload === undefined ? {} : { payload: shape.payload }),
      })
      const label = `${what}, ${shape.name}`
      t.ok(response.statusCode === 403 || response.statusCode === 415, `${label}: refused (${response.statusCode})`)
      if (response.statusCode === 403) t.equal(response.json().code, 'LOGIN_ERR_CSRF', label)
      t.equal(await victim.harmed(), false, `${label}: nothing happened`)
    }
  }
})

t.test('what may pass: JSON (it needs a preflight), this origin, and clients that are not browsers', async t => {
  const passes: { name: string; headers: Record<string, string>; payload?: string }[] = [
    { name: 'JSON from a sibling origin', headers: { ...sibling, 'content-type': 'application/json' }, payload: '{}' },
    {
      name: 'no body from this very origin',
      headers: { 'sec-fetch-site': 'same-origin', origin: 'http://localhost:80' },
    },
    { name: 'no body, no Origin (curl, a server)', headers: {} },
  ]
  for (const { name, headers, payload } of passes) {
    const { app, signIn } = await startApp(t)
    const victim = await targets['sign out']!(app, signIn)
    const response = await app.inject({
      method: 'POST',
      url: victim.url,
      headers: { cookie: victim.cookie, ...headers },
      ...(payload === undefined ? {} : { payload }),
    })
    t.equal(response.statusCode, 200, name)
    t.equal(await victim.harmed(), true, `${name}: signed out`)
  }
})

t.test('GET /login/logout signs out only when the browser says this site sent it; else it asks', async t => {
  const { app, signIn } = await startApp(t)
  const page = { accept: 'text/html' }
  for (const { name, headers } of [
    { name: 'a link on another site', headers: { 'sec-fetch-site': 'cross-site' } },
    { name: 'a browser that sends no Sec-Fetch-Site', headers: {} },
    { name: 'typed or bookmarked', headers: { 'sec-fetch-site': 'none' } },
  ]) {
    const cookie = await signIn('alice')
    const asked = await app.inject({ url: '/login/logout?next=%2Fbye', headers: { cookie, ...page, ...headers } })
    t.equal(asked.statusCode, 200, `${name}: a page`)
    t.match(asked.body, /<title>Sign out\?<\/title>/, `${name}: asking "Sign out?"`)
    t.ok(await stillSignedIn(app, cookie), `${name}: still signed in`)
    const form =
      /<form method="post" action="([^"]+)" id="logout-form">\s*<input type="hidden" name="_csrf" value="([^"]+)">/.exec(
        asked.body,
      )
    t.ok(form, `${name}: with a form that posts the form token`)
    const action = form![1]!.replaceAll('&amp;', '&')
    t.equal(action, '/login/logout?next=%2Fbye', `${name}: to sign out, keeping next`)

    const forged = await app.inject({
      method: 'POST',
      url: action,
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost:80' },
      payload: '_csrf=forged',
    })
    t.equal(forged.json().code, 'LOGIN_ERR_CSRF', `${name}: the button needs the page's token`)
    const confirmed = await app.inject({
      method: 'POST',
      url: action,
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost:80' },
      payload: `_csrf=${encodeURIComponent(form![2]!)}`,
    })
    t.equal(confirmed.statusCode, 303, `${name}: the button signs out`)
    t.equal(confirmed.headers.location, '/bye')
    t.notOk(await stillSignedIn(app, cookie), `${name}: signed out`)
  }
  for (const fetchSite of ['same-origin', 'same-site']) {
    const cookie = await signIn('alice')
    const out = await app.inject({
      url: '/login/logout?next=%2Fbye',
      headers: { cookie, ...page, 'sec-fetch-site': fetchSite },
    })
    t.equal(out.statusCode, 303, `Sec-Fetch-Site: ${fetchSite}: signed out at once`)
    t.notOk(await stillSignedIn(app, cookie), `Sec-Fetch-Site: ${fetchSite}: signed out`)
  }
})
