import t from 'tap'
import { buildApp } from '../../src/app.js'
import { signIn, testConfig } from '../helpers/app.js'

t.test('one log line per request: what was asked, the status and how long it took', async t => {
  const lines: string[] = []
  const config = testConfig(t, { logLevel: 'info' })
  const app = await buildApp(config, { logStream: { write: line => void lines.push(line) } })
  t.teardown(() => app.close())
  await app.inject({ url: '/login/me' })
  await app.inject({ url: '/login/check' })
  await app.inject({ url: '/login/nowhere?state=secret' })
  const requests = lines
    .map(line => JSON.parse(line) as Record<string, unknown>)
    .filter(entry => entry.reqId !== undefined)
  t.match(requests, [
    {
      msg: 'request completed',
      method: 'GET',
      url: '/login/me',
      status: 401,
      ms: Number,
      ip: '127.0.0.1',
      code: 'LOGIN_ERR_UNAUTHENTICATED',
      message: 'Sign in required',
    },
    {
      // Forward-auth's refusals are logged as they are answered: nothing times a check at info.
      msg: 'request completed',
      url: '/login/check',
      status: 401,
      ms: undefined,
      code: 'LOGIN_ERR_UNAUTHENTICATED',
    },
    {
      msg: 'request completed',
      // No route says what this path holds: neither it nor the message quoting it is logged.
      url: '[redacted]',
      status: 404,
      code: 'LOGIN_ERR_NOT_FOUND',
      message: undefined,
    },
  ])
  t.equal(requests.length, 3, 'and no other line about them')
})

t.test('an allowed forward-auth check is logged at debug: the proxy logs the request it stands for', async t => {
  for (const [level, logged] of [
    ['info', false],
    ['debug', true],
  ] as const) {
    const lines: string[] = []
    const config = testConfig(t, { logLevel: level })
    const app = await buildApp(config, { logStream: { write: line => void lines.push(line) } })
    t.teardown(() => app.close())
    const cookie = await signIn(app, config, 'ada')
    lines.length = 0
    t.equal((await app.inject({ url: '/login/check', headers: { cookie } })).statusCode, 200)
    t.equal((await app.inject({ url: '/login/check?group=elsewhere', headers: { cookie } })).statusCode, 403)
    const checks = lines.map(line => JSON.parse(line) as Record<string, unknown>).filter(entry => entry.url)
    t.match(
      checks,
      [...(logged ? [{ level: 20, url: '/login/check', status: 200 }] : []), { level: 30, status: 403 }],
      `at ${level}: ${logged ? 'both' : 'only the refusal'}`,
    )
    t.equal(checks.length, logged ? 2 : 1)
  }
})
