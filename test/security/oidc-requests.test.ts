// Anyone may send the OpenID Provider authorization requests: each one from a signed-out browser stores an
// interaction (10 minutes). A flood from one address must neither fill the database nor crowd others out.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../../src/config.js'
import { clientSettings } from '../../src/oidc/client-settings.js'
import { startApp } from '../helpers/app.js'
import { startPostgres } from '../helpers/postgres.js'
import { REDIRECT_URI } from '../oidc/fixture.js'

const cluster = await startPostgres(t)
const engines: { name: string; skip: string | false; settings: () => Promise<Partial<Config>> }[] = [
  { name: 'SQLite', skip: false, settings: async () => ({}) },
  {
    name: 'PostgreSQL',
    skip: typeof cluster === 'string' ? cluster : false,
    settings: async () => ({ database: await (cluster as Exclude<typeof cluster, string>).createDatabase() }),
  },
]

/** A registered client and a function that sends signed-out authorization requests for it from `ip`. */
async function client(app: FastifyInstance) {
  const { id } = await app.ctx.apps.add('grafana', clientSettings({ redirectUris: [REDIRECT_URI] }))
  return (ip: string) =>
    app.inject({
      url: `/login/oidc/auth?${new URLSearchParams({
        client_id: id,
        redirect_uri: REDIRECT_URI,
        response_type: 'code',
        scope: 'openid',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
        state: 'xyz',
      })}`,
      remoteAddress: ip,
    })
}

async function interactions(app: FastifyInstance): Promise<number> {
  const row = await app.ctx.db.sql.one<{ n: number }>(
    `SELECT COUNT(*) AS "n" FROM oidc_models WHERE model = 'Interaction'`,
  )
  return Number(row!.n)
}

/** Where the provider sent the browser: the interaction step, or back to the client with an error. */
function outcome(response: { statusCode: number; headers: Record<string, unknown> }): string {
  const location = String(response.headers.location ?? '')
  if (location.includes('/login/oidc/interaction/')) return 'interaction'
  if (location.startsWith(REDIRECT_URI)) return `client: ${new URL(location).searchParams.get('error')}`
  return String(response.statusCode)
}

for (const engine of engines) {
  t.test(`${engine.name}: authorization requests are rate-limited per address`, { skip: engine.skip }, async t => {
    const { app } = await startApp(t, { ...(await engine.settings()), rateLimit: 5 })
    const authorize = await client(app)
    const outcomes: string[] = []
    for (let i = 0; i < 8; i++) outcomes.push(outcome(await authorize('203.0.113.7')))
    t.same(outcomes, [...Array<string>(5).fill('interaction'), ...Array<string>(3).fill('429')], '5 a minute, then 429')
    t.equal(await interactions(app), 5, 'and no row for the refused ones')
    t.equal(outcome(await authorize('198.51.100.2')), 'interaction', 'another address has its own limit')
  })

  t.test(`${engine.name}: one address holds a bounded number of interactions`, { skip: engine.skip }, async t => {
    const { app } = await startApp(t, { ...(await engine.settings()), oidcInteractionsPerIp: 3 })
    const authorize = await client(app)
    // All at once: the cap holds against concurrent requests too.
    const outcomes = (await Promise.all(Array.from({ length: 8 }, () => authorize('203.0.113.7')))).map(outcome)
    t.equal(outcomes.filter(o => o === 'interaction').length, 3, `3 interactions (${outcomes.join(', ')})`)
    t.equal(
      outcomes.filter(o => o === 'client: temporarily_unavailable').length,
      5,
      'the others go back to the client with temporarily_unavailable',
    )
    t.equal(await interactions(app), 3, 'and the database holds 3')
    t.equal(outcome(await authorize('198.51.100.2')), 'interaction', 'another address is not crowded out')
  })
}
