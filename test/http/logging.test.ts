import t from 'tap'
import { buildApp } from '../../src/app.js'
import { testConfig } from '../helpers/app.js'

t.test('one log line per request: what was asked, the status and how long it took', async t => {
  const lines: string[] = []
  const config = testConfig(t, { logLevel: 'info' })
  const app = await buildApp(config, { logStream: { write: line => void lines.push(line) } })
  t.teardown(() => app.close())
  await app.inject({ url: '/login/check' })
  await app.inject({ url: '/login/nowhere?state=secret' })
  const requests = lines
    .map(line => JSON.parse(line) as Record<string, unknown>)
    .filter(entry => entry.reqId !== undefined)
  t.match(requests, [
    {
      msg: 'request completed',
      req: { method: 'GET', url: '/login/check' },
      res: { statusCode: 401 },
      ms: Number,
      code: 'LOGIN_ERR_UNAUTHENTICATED',
      message: 'Sign in required',
    },
    {
      msg: 'request completed',
      req: { url: '/login/nowhere?state=…' },
      res: { statusCode: 404 },
      code: 'LOGIN_ERR_NOT_FOUND',
    },
  ])
  t.equal(requests.length, 2, 'and no other line about them')
})
