import t, { type Test } from 'tap'
import { startApp } from '../helpers/app.js'

type Injected = { statusCode: number; headers: Record<string, unknown>; body: string }

/** A JSON error as the spec promises it: status, reason phrase, message and a stable code; no stack. */
function assertJsonError(tt: Test, response: Injected, label: string, status?: number, code?: string) {
  tt.ok(response.statusCode >= 400 && response.statusCode < 500, `${label}: a 4xx (got ${response.statusCode})`)
  if (status !== undefined) tt.equal(response.statusCode, status, `${label}: status`)
  tt.match(response.headers['content-type'], /^application\/json/, `${label}: JSON`)
  const body = JSON.parse(response.body)
  tt.match(
    body,
    { statusCode: response.statusCode, error: String, message: String, code: code ?? /^LOGIN_ERR_[A-Z_]+$/ },
    label,
  )
  tt.notMatch(response.body, /\bat .+:\d+:\d+|node_modules|\/src\//, `${label}: no stack trace`)
}

t.test('garbage cookies never make a 500: the request is just not signed in', async t => {
  const { app } = await startApp(t)
  const cookies = [
    'login=garbage',
    'login=',
    'login=a.b.c',
    'login=...',
    'login=eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
    'login=eyJhbGciOiJFZERTQSJ9.bm90IGpzb24.c2ln',
    'login=%E0%A4%A',
    'login=%00%01%02',
    'login="quoted"',
    'login=\u00ff\u00fe',
    `login=${'A'.repeat(6000)}`,
    'login=1; login=2',
    ';;;=;login;==',
    '=',
    'login',
  ]
  for (const cookie of cookies) {
    for (const url of ['/login/me', '/login/check', '/login/sessions']) {
      const response = await app.inject({ url, headers: { cookie } })
      assertJsonError(
        t,
        response,
        `${url} with cookie ${JSON.stringify(cookie.slice(0, 40))}`,
        401,
        'LOGIN_ERR_UNAUTHENTICATED',
      )
    }
    const page = await app.inject({ url: '/login', headers: { cookie, accept: 'text/html' } })
    t.equal(page.statusCode, 200, 'the sign-in page still shows')
  }
})

t.test('garbage bodies, URLs and queries answer a 4xx with a LOGIN_ERR code', async t => {
  const { app, signIn } = await startApp(t)
  const cookie = await signIn('alice')
  const json = { cookie, 'content-type': 'application/json' }
  const cases: {
    name: string
    method?: 'GET' | 'POST'
    url: string
    headers?: Record<string, string>
    payload?: string
    status: number
    code?: string
  }[] = [
    {
      name: 'invalid JSON',
      method: 'POST',
      url: '/login/logout',
      headers: json,
      payload: '{"a":',
      status: 400,
      code: 'LOGIN_ERR_BAD_REQUEST',
    },
    {
      name: 'empty JSON body',
      method: 'POST',
      url: '/login/logout',
      headers: json,
      payload: '',
      status: 400,
      code: 'LOGIN_ERR_BAD_REQUEST',
    },
    {
      name: 'JSON with __proto__',
      method: 'POST',
      url: '/login/logout',
      headers: json,
      payload: '{"__proto__":{"x":1}}',
      status: 400,
      code: 'LOGIN_ERR_BAD_REQUEST',
    },
    {
      name: 'a body over 64 kB',
      method: 'POST',
      url: '/login/logout',
      headers: json,
      payload: JSON.stringify({ a: 'x'.repeat(70_000) }),
      status: 413,
      code: 'LOGIN_ERR_BAD_REQUEST',
    },
    {
      name: 'an unknown content type',
      method: 'POST',
      url: '/login/logout',
      headers: { cookie, 'content-type': 'application/x-garbage' },
      payload: 'zzz',
      status: 415,
      code: 'LOGIN_ERR_BAD_REQUEST',
    },
    {
      name: 'multipart (no parser)',
      method: 'POST',
      url: '/login/logout',
      headers: { cookie, 'content-type': 'multipart/form-data; boundary=x' },
      payload: '--x--',
      status: 415,
      code: 'LOGIN_ERR_BAD_REQUEST',
    },
    {
      name: 'a broken form body (signed in, so no token)',
      method: 'POST',
      url: '/login/logout',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: '%%%&&&=',
      status: 403,
      code: 'LOGIN_ERR_CSRF',
    },
    { name: 'an unknown route', url: '/login/nothing-here', status: 404, code: 'LOGIN_ERR_NOT_FOUND' },
    {
      name: 'a wrong method',
      method: 'POST',
      url: '/login/me',
      headers: json,
      payload: '{}',
      status: 404,
      code: 'LOGIN_ERR_NOT_FOUND',
    },
    {
      name: 'a malformed percent-escape in the path',
      url: '/login/deauthorize/%E0%A4%A',
      method: 'POST',
      headers: json,
      payload: '{}',
      status: 400,
      code: 'LOGIN_ERR_BAD_REQUEST',
    },
    {
      name: 'a path parameter over the length limit',
      method: 'POST',
      url: `/login/deauthorize/${'x'.repeat(300)}`,
      headers: json,
      payload: '{}',
      status: 414,
      code: 'LOGIN_ERR_BAD_REQUEST',
    },
    {
      name: 'a NUL in a path parameter',
      method: 'POST',
      url: '/login/deauthorize/%00',
      headers: json,
      payload: '{}',
      status: 404,
      code: 'LOGIN_ERR_NOT_FOUND',
    },
    {
      name: 'a malformed percent-escape in next',
      url: '/login?next=%E0%A4%A',
      status: 400,
      code: 'LOGIN_ERR_BAD_NEXT',
    },
    { name: 'a NUL in next', url: '/login?next=%2F%00', status: 400, code: 'LOGIN_ERR_BAD_NEXT' },
    { name: 'next given twice', url: '/login?next=%2Fa&next=%2Fb', status: 400, code: 'LOGIN_ERR_BAD_NEXT' },
    { name: 'a huge next', url: `/login?next=%2F${'a'.repeat(5000)}`, status: 400, code: 'LOGIN_ERR_BAD_NEXT' },
    {
      name: 'an empty group expression',
      url: '/login/check?group=',
      headers: { cookie },
      status: 400,
      code: 'LOGIN_ERR_BAD_EXPRESSION',
    },
    {
      name: 'a group expression that does not parse',
      url: '/login/check?group=(((',
      headers: { cookie },
      status: 400,
      code: 'LOGIN_ERR_BAD_EXPRESSION',
    },
    {
      name: 'a group given twice',
      url: '/login/check?group=a&group=b',
      headers: { cookie },
      status: 400,
      code: 'LOGIN_ERR_BAD_EXPRESSION',
    },
  ]
  for (const { name, method = 'GET', url, headers = {}, payload, status, code } of cases) {
    const response = await app.inject({ method, url, headers, payload })
    assertJsonError(t, response, name, status, code)
  }
  t.equal(
    (await app.inject({ url: '/login/me', headers: { cookie } })).statusCode,
    200,
    'the session survived all that',
  )
})

t.test('pages get a readable error page, never a stack trace', async t => {
  const { app } = await startApp(t)
  const cases: { name: string; url: string; headers?: Record<string, string>; status: number; code: string }[] = [
    {
      name: 'a bad next from a browser',
      url: '/login?next=%2F%2Fevil.com',
      headers: { accept: 'text/html' },
      status: 400,
      code: 'LOGIN_ERR_BAD_NEXT',
    },
    { name: 'an unknown page under /view/', url: '/login/view/nothing', status: 404, code: 'LOGIN_ERR_NOT_FOUND' },
    {
      name: 'an unknown route from a browser',
      url: '/nothing',
      headers: { accept: 'text/html' },
      status: 404,
      code: 'LOGIN_ERR_NOT_FOUND',
    },
    {
      name: 'a malformed URL from a browser',
      url: '/login/view/%E0%A4%A',
      headers: { accept: 'text/html' },
      status: 400,
      code: 'LOGIN_ERR_BAD_REQUEST',
    },
  ]
  for (const { name, url, headers, status, code } of cases) {
    const response = await app.inject({ url, headers })
    t.equal(response.statusCode, status, name)
    t.match(response.headers['content-type'], /^text\/html/, name)
    t.match(response.body, new RegExp(`<code id="error-code">${code}</code>`), name)
    t.match(response.headers['cache-control'], /no-store/)
    t.notMatch(response.body, /\bat .+:\d+:\d+|node_modules/, `${name}: no stack trace`)
  }
  const escaped = await app.inject({ url: `/login/view/<script>alert(1)</script>`, headers: { accept: 'text/html' } })
  t.notMatch(escaped.body, /<script>alert/, 'what the request said is escaped in the page')

  const signedOut = await app.inject({ url: '/login/view/sessions?tab=1' })
  t.equal(signedOut.statusCode, 302, 'a page that needs a session sends the browser to sign in')
  t.equal(signedOut.headers.location, `/login?next=${encodeURIComponent('/login/view/sessions?tab=1')}`)
})

t.test('unexpected failures are a 500 LOGIN_ERR_INTERNAL without details; framework 4xx keep their status', async t => {
  const { app } = await startApp(t)
  app.get('/boom', async () => {
    throw new Error('secret detail at /srv/app.js:1:1')
  })
  app.get('/boom/view/page', async () => {
    throw new Error('secret detail')
  })
  app.post(
    '/validated',
    { schema: { body: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } } },
    async () => ({ ok: true }),
  )
  const boom = await app.inject({ url: '/boom' })
  t.equal(boom.statusCode, 500)
  t.same(boom.json(), {
    statusCode: 500,
    error: 'Internal Server Error',
    message: 'Internal error',
    code: 'LOGIN_ERR_INTERNAL',
  })
  const page = await app.inject({ url: '/boom/view/page' })
  t.equal(page.statusCode, 500)
  t.match(page.body, /id="error-code">LOGIN_ERR_INTERNAL</)
  t.notMatch(page.body, /secret detail/)
  const invalid = await app.inject({
    method: 'POST',
    url: '/validated',
    headers: { 'content-type': 'application/json' },
    payload: '{}',
  })
  assertJsonError(t, invalid, 'a schema validation failure', 400, 'LOGIN_ERR_BAD_REQUEST')
})
