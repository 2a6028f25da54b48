import t from 'tap'
import type { AddressInfo } from 'node:net'
import { signInOverHttp, startApp } from '../helpers/app.js'
import { depletingChain, fivePlaces, raceAcceptances } from './race.js'

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
  for (const [name, scenario] of [
    ['invitees: 5', fivePlaces],
    ['depleting chain, 3-spot ancestor', depletingChain],
  ] as const) {
    for (let round = 0; round < ROUNDS; round++) {
      const race = await scenario(groups, users, round, clock.now())
      const counts = await raceAcceptances([base], cookies, race.links)
      t.same(counts, { 200: race.admits, 410: RACERS - race.admits }, `${name}, round ${round + 1}`)
      const owner = (await users.findByIdentity('test', 'owner'))!.id
      const members = (await groups.removal.removable(owner)).filter(m => race.links.includes(m.invitationId ?? ''))
      t.equal(members.length, race.admits, 'and exactly that many memberships exist')
    }
  }
})
