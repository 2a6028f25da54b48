/**
 * `npm run bench:oidc`: full OpenID Connect code flows per second
 * (authorize with PKCE → token → userinfo, by a signed-in user), device
 * sign-ins completed per second (device authorization → the person allows
 * at /login/device → the device's token request) and token introspections
 * per second, each against the same number of `GET /login/check` calls, on
 * the same server in the same run. The server runs in its own process
 * (bench/oidc-server.ts); this one plays the relying parties, devices and
 * resource servers with plain HTTP requests, `--connections` at a time. Each
 * round measures them all, one after the other, so that a busy machine slows
 * them alike.
 *
 * A flow is three requests and signs an ID token (RS256) and writes a
 * code, tokens and the grant; a device sign-in is three requests too and
 * writes the device code, the grant and tokens; an introspection is one
 * request that authenticates the asking app and reads the token, its grant
 * and the session behind it; a check is one request answered from memory.
 * The figures say what these cost next to what an app pays per request
 * through forward-auth.
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

const form = { 'content-type': 'application/x-www-form-urlencoded' }

function basic(server: OidcServerReady): string {
  return `Basic ${Buffer.from(`${server.client.id}:${server.client.secret}`).toString('base64')}`
}

/** Authorize with PKCE as the signed-in user, then exchange the code, as a relying party's server does; answers the access token. */
async function signInToClient(server: OidcServerReady, scope: string): Promise<string> {
  const verifier = randomBytes(32).toString('base64url')
  const authorize = new URL(`${server.issuer}/oidc/auth`)
  authorize.search = new URLSearchParams({
    client_id: server.client.id,
    redirect_uri: server.redirectUri,
    response_type: 'code',
    scope,
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
  const token = expect(
    await fetch(`${server.issuer}/oidc/token`, {
      method: 'POST',
      headers: { authorization: basic(server), ...form },
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
  return ((await token.json()) as { access_token: string }).access_token
}

/** One code flow: the sign-in, then userinfo with the access token. */
async function codeFlow(server: OidcServerReady): Promise<void> {
  const accessToken = await signInToClient(server, 'openid profile groups')
  const info = await fetch(`${server.issuer}/oidc/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } })
  await expect(info, 200, 'userinfo').arrayBuffer()
}

/** One device sign-in: the device asks for a code, the signed-in person allows it, the device gets its tokens. */
async function deviceSignIn(server: OidcServerReady): Promise<void> {
  const started = expect(
    await fetch(`${server.issuer}/oidc/device/auth`, {
      method: 'POST',
      headers: form,
      body: new URLSearchParams({ client_id: server.device.id, scope: 'openid profile' }),
    }),
    200,
    'device authorization',
  )
  const { user_code: userCode, device_code: deviceCode } = (await started.json()) as Record<string, string>
  await expect(
    await fetch(`${server.base}/login/device`, {
      method: 'POST',
      headers: { cookie: server.cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ user_code: userCode, decision: 'allow' }),
    }),
    200,
    'allow',
  ).arrayBuffer()
  await expect(
    await fetch(`${server.issuer}/oidc/token`, {
      method: 'POST',
      headers: form,
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
        device_code: deviceCode!,
        client_id: server.device.id,
      }),
    }),
    200,
    'device token',
  ).arrayBuffer()
}

/** One introspection by a resource server (the registered app's credentials), which must find the token active. */
async function introspect(server: OidcServerReady, token: string): Promise<void> {
  const answer = await fetch(`${server.issuer}/oidc/token/introspection`, {
    method: 'POST',
    headers: { authorization: basic(server), ...form },
    body: new URLSearchParams({ token }),
  })
  const { active } = (await expect(answer, 200, 'introspection').json()) as { active: boolean }
  if (!active) throw new Error('introspection: the token is not active')
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
const rates = { flows: [] as number[], devices: [] as number[], introspections: [] as number[], checks: [] as number[] }
try {
  process.stdout.write(
    `bench:oidc: ${rounds} rounds of ${flows} code flows, device sign-ins, introspections and checks each, ` +
      `${connections} at a time\n`,
  )
  // An access token of the signed-in user, for introspection to ask about.
  const token = await signInToClient(server, 'openid')
  // Warm-up: JIT, the client's first lookups, SQLite's page cache.
  await perSecond(Math.ceil(flows / 5), () => codeFlow(server))
  await perSecond(Math.ceil(flows / 5), () => deviceSignIn(server))
  await perSecond(flows, () => introspect(server, token))
  await perSecond(flows, () => check(server))
  for (let round = 1; round <= rounds; round++) {
    rates.flows.push(await perSecond(flows, () => codeFlow(server)))
    rates.devices.push(await perSecond(flows, () => deviceSignIn(server)))
    rates.introspections.push(await perSecond(flows, () => introspect(server, token)))
    rates.checks.push(await perSecond(flows, () => check(server)))
    process.stdout.write(
      `  round ${round}: ${rates.flows.at(-1)!.toFixed(0)} flows/s, ${rates.devices.at(-1)!.toFixed(0)} device ` +
        `sign-ins/s, ${rates.introspections.at(-1)!.toFixed(0)} introspections/s, ` +
        `${rates.checks.at(-1)!.toFixed(0)} checks/s\n`,
    )
  }
} finally {
  await stop()
}

/** The median over the rounds of a rate divided by the same round's checks. */
const ratio = (of: number[]) => median(of.map((rate, round) => rate / rates.checks[round]!))
const line = (what: string, of: number[], requests: string) =>
  `${what.padEnd(45)}${median(of).toFixed(0).padStart(6)} per second, ratio to checks ${ratio(of).toFixed(3)} ` +
  `(${(1 / ratio(of)).toFixed(1)} checks in the time of one; ${requests})\n`
process.stdout.write(
  '\n' +
    line('code flows (authorize → token → userinfo):', rates.flows, '3 requests') +
    line('device sign-ins (authorize → allow → token):', rates.devices, '3 requests') +
    line('introspections:', rates.introspections, '1 request') +
    `${'/login/check calls:'.padEnd(45)}${median(rates.checks).toFixed(0).padStart(6)} per second\n` +
    "figures are medians over the rounds; each ratio is the median of the per-round ratios to that round's checks\n",
)
