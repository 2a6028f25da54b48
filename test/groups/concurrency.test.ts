import t from 'tap'
import type { AddressInfo } from 'node:net'
import { signInOverHttp, startApp } from '../helpers/app.js'
import { raceRounds } from './race.js'

const ROUNDS = 3
const RACERS = 50

t.test('50 simultaneous acceptances over HTTP admit exactly what the limits allow', async t => {
  const { app, config, clock } = await startApp(t)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const { groups, users } = app.ctx
  await groups.tree.ensureNamespace('chat', 'test', 'owner')

  // Signed in once: each round races over new links, which the same people may accept again.
  const cookies = await Promise.all(
    Array.from({ length: RACERS }, (_, i) => signInOverHttp(base, `racer${i}`, config.cookieName)),
  )
  await raceRounds(t, { groups, users, clock }, [base], cookies, ROUNDS)
})
