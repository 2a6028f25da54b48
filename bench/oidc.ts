/**
 * `npm run bench:oidc`: full OpenID Connect code flows per second
 * (authorize with PKCE → token → userinfo, by a signed-in user) against the
 * same number of `GET /login/check` calls, on the same server in the same
 * run. The server runs in its own process (bench/oidc-server.ts); this one
 * plays the relying parties with plain HTTP requests, `--connections` flows
 * (or checks) at a time. Each round measures both, one after the other, so
 * that a busy machine slows both alike.
 *
 * A flow is three requests and signs an ID token (RS256) and writes a
 * code, tokens and the grant; a check is one request answered from memory.
 * The figures say what signing in to an app costs next to what an app pays
 * per request through forward-auth.
 *
 * Options: --flows <n> per round (300), --rounds <n> (3), --connections <n> (8),
 * --log-level <level> (warn).
 */
import { createHash, randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import type { OidcServerReady } from './oidc-server.js'
import { forkReady, median } from './support.js'

const { values } = parseArgs({
  options: {
    flows: { type: 'string', default: '300' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '8' },
    'log-level': { type: 'string', default: 'warn' },
  },
})
const flows = Number(values.flows)
const rounds = Number(values.rounds)
const connections = Number(values.connections)

function expect(response: Response, status: number, what: string): Response {
  if (response.status !== status) throw new Error(`${what}: ${response.status}, expected ${status}`)
  return response
}

/** One code flow, as a relying party's server does it. */
async function codeFlow(server: OidcServerReady): Promise<void> {
  const verifier = randomBytes(32).toString('base64url')
  const authorize = new URL(`${server.issuer}/oidc/auth`)
  authorize.search = new URLSearchParams({
    client_id: server.client.id,
    redirect_uri: server.redirectUri,
    response_type: 'code',
    scope: 'openid profile groups',
    state: randomBytes(16).toString('base64url'),
    nonce: randomBytes(16).toString('base64url'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString()
  const redirect = expect(
    await fetch(authorize, { headers: { cookie: server.cookie }, redirect: 'manual' }),
    303,
    'authorize',
  )
  const code = new URL(redirect.headers.get('location')!).searchParams.get('code')
  if (!code) throw new Error(`authorize: no code in ${redirect.headers.get('location')}`)
  const basic = Buffer.from(`${server.client.id}:${server.client.secret}`).toString('base64')
  const token = expect(
    await fetch(`${server.issuer}/oidc/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: server.redirectUri,
        code_verifier: verifier,
      }),
    }),
    200,
    'token',
  )
  const { access_token: accessToken } = (await token.json()) as { access_token: string }
  const info = await fetch(`${server.issuer}/oidc/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } })
  await expect(info, 200, 'userinfo').arrayBuffer()
}

async function check(server: OidcServerReady): Promise<void> {
  await expect(
    await fetch(`${server.base}/login/check`, { headers: { cookie: server.cookie } }),
    200,
    'check',
  ).arrayBuffer()
}

/** Runs `count` tasks, `connections` at a time; answers tasks per second. */
async function perSecond(count: number, task: () => Promise<void>): Promise<number> {
  let started = 0
  const start = performance.now()
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (started < count) {
        started++
        await task()
      }
    }),
  )
  return count / ((performance.now() - start) / 1000)
}

const { ready: server, stop } = await forkReady<OidcServerReady>('./oidc-server.js', { logLevel: values['log-level'] })
const flowRates: number[] = []
const checkRates: number[] = []
try {
  process.stdout.write(
    `bench:oidc: ${rounds} rounds of ${flows} code flows and ${flows} checks, ${connections} at a time\n`,
  )
  // Warm-up: JIT, the client's first lookups, SQLite's page cache.
  await perSecond(Math.ceil(flows / 5), () => codeFlow(server))
  await perSecond(flows, () => check(server))
  for (let round = 1; round <= rounds; round++) {
    flowRates.push(await perSecond(flows, () => codeFlow(server)))
    checkRates.push(await perSecond(flows, () => check(server)))
    process.stdout.write(
      `  round ${round}: ${flowRates.at(-1)!.toFixed(0)} flows/s, ${checkRates.at(-1)!.toFixed(0)} checks/s\n`,
    )
  }
} finally {
  await stop()
}

const ratios = flowRates.map((rate, round) => rate / checkRates[round]!)
process.stdout.write(
  `\ncode flows (authorize → token → userinfo): ${median(flowRates).toFixed(0)} per second\n` +
    `/login/check calls:                       ${median(checkRates).toFixed(0)} per second\n` +
    `ratio flows / checks:                     ${median(ratios).toFixed(3)} ` +
    `(${(1 / median(ratios)).toFixed(1)} checks in the time of one flow; a flow is 3 requests)\n` +
    'figures are medians over the rounds; the ratio is the median of the per-round ratios\n',
)
