// Every route, sent the shapes it does not expect: repeated parameters, arrays, objects, numbers and
// over-long strings where it expects strings. A wrong shape is a 4xx naming the field, never a 5xx.
import t from 'tap'
import type { FastifyInstance, InjectOptions } from 'fastify'
import { buildApp } from '../../src/app.js'
import { ManualClock } from '../../src/clock.js'
import { leaseCookie, testConfig } from '../helpers/app.js'
import { formToken } from '../helpers/csrf.js'
import type { Teardown } from '../helpers/teardown.js'

/** Every field name a route of this server reads from the query or the body. */
const FIELDS = [
  'next',
  'group',
  'who',
  'before',
  'limit',
  'code',
  'state',
  'error',
  'error_description',
  'memberships',
  'invitations',
  'cascade',
  'handoff',
  'invitees',
  'redirect',
  'confirm',
  'provider',
  'id',
  'g0',
  'g0.accessing',
  'g0.inviter',
  'g0.plus',
  'g0.dos',
  'g0.deauthorizes',
  'g0.depletes',
  'g0.accept_hours',
  'g0.access_hours',
  'name',
  'invitation',
  'response',
  '_csrf',
]
const LONG = 'x'.repeat(5000)

/** Query strings: each field repeated, over-long, numeric, bracketed, empty, with a NUL. */
function queries(): string[] {
  return FIELDS.flatMap(f => {
    const k = encodeURIComponent(f)
    return [`${k}=a&${k}=b`, `${k}=${LONG}`, `${k}=1`, `${k}[a]=1`, `${k}=`, `${k}=%00`]
  })
}

/** JSON bodies: the wrong top-level shapes, then each field as an array, object, number, boolean, null, long string. */
function jsonBodies(): unknown[] {
  const values: unknown[] = [['a', 'b'], { a: 1 }, 1, true, null, LONG, [{ a: [1] }]]
  return [[], 'text', 42, null, {}, ...FIELDS.flatMap(f => values.map(v => ({ [f]: v })))]
}

/** Form bodies: each field repeated, over-long, bracketed. */
function formBodies(token: string): string[] {
  return FIELDS.flatMap(f => {
    const k = encodeURIComponent(f)
    return [`${k}=a&${k}=b`, `${k}=${LONG}`, `${k}[x]=1`, `${k}=`].map(body => `${body}&_csrf=${token}`)
  })
}

/** Values for path parameters: plausible, over-long, and odd. */
const PARAMS = ['x', 'a'.repeat(190), '00000000-0000-4000-8000-000000000000', '..', '%00', '%ZZ']

function fill(url: string, value: string): string {
  return url.replace(/:[a-z]+/gi, value).replace(/\*$/, value)
}

interface Route {
  method: string
  url: string
}

async function world(t: Teardown) {
  const routes: Route[] = []
  const config = testConfig(t, { rateLimit: 1_000_000 })
  const app: FastifyInstance = await buildApp(config, {
    clock: new ManualClock(),
    logger: false,
    onRoute: route => {
      for (const method of ([] as string[]).concat(route.method)) {
        if (method !== 'HEAD' && method !== 'OPTIONS') routes.push({ method, url: route.url })
      }
    },
  })
  t.teardown(() => app.close())
  await app.ctx.groups.tree.ensureNamespace('chat', 'test', 'fuzzer')
  const signIn = async () =>
    leaseCookie(config, (await app.inject({ url: '/login/test/as?who=fuzzer' })).headers['set-cookie'])
  return { app, routes, signIn }
}

t.test('no route answers 5xx to a wrong shape', async t => {
  const { app, routes, signIn } = await world(t)
  t.ok(routes.length > 30, `${routes.length} routes to try`)
  const failures: string[] = []
  let sent = 0
  const send = async (request: InjectOptions & { url: string }): Promise<number> => {
    sent++
    const response = await app.inject(request)
    if (response.statusCode >= 500) {
      const sentPayload = String(request.payload ?? '').slice(0, 80)
      const answer = `${response.statusCode} ${response.body.slice(0, 120)}`
      failures.push(`${request.method ?? 'GET'} ${request.url.slice(0, 120)} ${sentPayload} → ${answer}`)
    }
    return response.statusCode
  }
  for (const route of routes) {
    const method = route.method as InjectOptions['method']
    // A request that may sign out or delete the account and was accepted (below 400) may have ended its
    // session: the next one gets a new session, so that every request is sent signed in.
    const mayEndSession = route.method === 'POST' || route.url.includes('logout')
    let cookie = await signIn()
    const signedIn = async (request: InjectOptions & { url: string }) => {
      const status = await send({ ...request, headers: { ...request.headers, cookie } })
      if (mayEndSession && status < 400) cookie = await signIn()
    }
    for (const value of PARAMS) {
      const url = fill(route.url, value)
      await signedIn({ method, url })
      await send({ method, url })
    }
    const url = fill(route.url, 'x')
    for (const query of queries()) await signedIn({ method, url: `${url}?${query}` })
    if (route.method !== 'POST') continue
    for (const body of jsonBodies()) {
      await signedIn({ method, url, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) })
    }
    cookie = await signIn()
    const token = await formToken(app, cookie)
    for (const body of formBodies(token)) {
      await send({
        method,
        url,
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        payload: body,
      })
    }
  }
  t.ok(sent > 1000, `${sent} requests sent`)
  t.same(failures, [], 'no 5xx')
})
