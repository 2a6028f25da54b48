import { createHash, randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Teardown } from './teardown.js'

export type PresetName = 'google' | 'github' | 'facebook'

/** How the next calls to an endpoint behave. */
export type Behaviour = 'ok' | 'fail' | 'hang' | 'refuse'

/**
 * Google, GitHub and Facebook as they answer on the wire, at their real
 * paths below `/<preset>` of one loopback server (credentials.json's
 * `base_url` points each preset there). The token endpoint checks what the
 * real ones check: client credentials (Basic for Google, form fields for
 * the others), the code, its redirect URI and the PKCE verifier; the
 * profile endpoints check the bearer token (and GitHub its User-Agent), and
 * answer what the scopes granted allow: Google's address with the `email`
 * scope, Facebook's with the `email` permission (and only the fields asked
 * for), GitHub's emails API (`/user/emails`) with `user:email`.
 */
export interface FakeProviders {
  base: string
  /** credentials.json entries for all three presets. */
  credentials: Record<PresetName, { id: string; secret: string; base_url: string }>
  /** What each profile API answers (before scopes take out what was not granted); tests change it. */
  profiles: Record<PresetName, unknown>
  /** What GitHub's emails API answers; tests change it. */
  githubEmails: unknown
  token: Behaviour
  profile: Behaviour
  /** GitHub's emails API, apart from its profile API. */
  emails: Behaviour
  /** Query of the last authorization request per preset. */
  authorized: Partial<Record<PresetName, URLSearchParams>>
  /** Token requests seen (for asserting nothing leaked or what was sent). */
  tokenRequests: { preset: PresetName; body: URLSearchParams; authorization: string | undefined }[]
}

interface Paths {
  authorize: string
  token: string
  profile: string
  basic: boolean
}

const GITHUB_EMAILS = '/user/emails'
const FACEBOOK_FIELDS = new Set(['id', 'name', 'picture', 'email'])

const PATHS: Record<PresetName, Paths> = {
  google: { authorize: '/o/oauth2/v2/auth', token: '/token', profile: '/v1/userinfo', basic: true },
  github: { authorize: '/login/oauth/authorize', token: '/login/oauth/access_token', profile: '/user', basic: false },
  facebook: { authorize: '/dialog/oauth', token: '/oauth/access_token', profile: '/me', basic: false },
}

export function defaultProfiles(): Record<PresetName, unknown> {
  return {
    google: {
      sub: '1078',
      name: 'Grace Google',
      picture: 'https://lh3.example/grace.png',
      email: 'grace@example.com',
      email_verified: true,
    },
    github: {
      node_id: 'MDQ6VXNlcjE=',
      login: 'octo',
      name: null,
      avatar_url: 'https://avatars.example/octo.png',
      id: 1,
    },
    facebook: {
      id: '10211',
      name: 'Fay Book',
      picture: { data: { url: 'https://fb.example/fay.jpg', width: 50, height: 50 } },
      email: 'fay@example.net',
    },
  }
}

export function defaultGithubEmails(): unknown {
  return [
    { email: 'octo@old.example', primary: false, verified: true, visibility: null },
    { email: 'octo@example.org', primary: true, verified: true, visibility: 'private' },
    { email: 'octo@unconfirmed.example', primary: false, verified: false, visibility: null },
  ]
}

/** What a profile API answers for a token granted `scopes`, as the real one would. */
function granted(preset: PresetName, profile: unknown, scopes: Set<string>, fields: string | null): unknown {
  if (typeof profile !== 'object' || profile === null) return profile
  const all = profile as Record<string, unknown>
  if (preset === 'google' && !scopes.has('email')) {
    const { email: _email, email_verified: _verified, ...rest } = all
    return rest
  }
  if (preset === 'facebook') {
    const asked = (fields ?? 'id,name').split(',')
    return Object.fromEntries(
      Object.entries(all).filter(([key]) => asked.includes(key) && (key !== 'email' || scopes.has('email'))),
    )
  }
  return profile
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
}

async function readBody(req: IncomingMessage): Promise<string> {
  let text = ''
  for await (const chunk of req) text += chunk
  return text
}

export async function startFakeProviders(t: Teardown): Promise<FakeProviders> {
  const codes = new Map<string, { preset: PresetName; challenge: string; redirectUri: string; scopes: Set<string> }>()
  const tokens = new Map<string, { preset: PresetName; scopes: Set<string> }>()
  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy())
  })
  const fake: FakeProviders = {
    base: '',
    credentials: {} as FakeProviders['credentials'],
    profiles: defaultProfiles(),
    githubEmails: defaultGithubEmails(),
    token: 'ok',
    profile: 'ok',
    emails: 'ok',
    authorized: {},
    tokenRequests: [],
  }

  function misbehave(res: ServerResponse, behaviour: Behaviour): boolean {
    if (behaviour === 'hang') return true
    if (behaviour === 'fail') {
      json(res, 500, { error: 'server_error' })
      return true
    }
    if (behaviour === 'refuse') {
      res.destroy()
      return true
    }
    return false
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', fake.base)
    const preset = url.pathname.split('/')[1] as PresetName
    const paths = PATHS[preset]
    if (!paths) return json(res, 404, { error: 'not_found' })
    const path = url.pathname.slice(preset.length + 1)
    const client = fake.credentials[preset]

    if (req.method === 'GET' && path === paths.authorize) {
      const q = url.searchParams
      fake.authorized[preset] = q
      const redirectUri = q.get('redirect_uri') ?? ''
      if (
        q.get('client_id') !== client.id ||
        q.get('response_type') !== 'code' ||
        q.get('code_challenge_method') !== 'S256' ||
        !q.get('code_challenge')
      ) {
        return json(res, 400, { error: 'invalid_request' })
      }
      const code = randomBytes(12).toString('hex')
      // Google and Facebook separate scopes with spaces or commas, GitHub with either.
      const scopes = new Set((q.get('scope') ?? '').split(/[ ,]+/).filter(Boolean))
      codes.set(code, { preset, challenge: q.get('code_challenge')!, redirectUri, scopes })
      const back = new URL(redirectUri)
      back.searchParams.set('code', code)
      back.searchParams.set('state', q.get('state') ?? '')
      res.writeHead(302, { location: back.href }).end()
      return
    }

    if (req.method === 'POST' && path === paths.token) {
      const body = new URLSearchParams(await readBody(req))
      fake.tokenRequests.push({ preset, body, authorization: req.headers.authorization })
      if (misbehave(res, fake.token)) return
      const basic = `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`
      const authenticated = paths.basic
        ? req.headers.authorization === basic
        : body.get('client_id') === client.id && body.get('client_secret') === client.secret
      if (!authenticated) return json(res, 401, { error: 'invalid_client' })
      const issued = codes.get(body.get('code') ?? '')
      codes.delete(body.get('code') ?? '')
      const verifier = body.get('code_verifier') ?? ''
      const pkce = issued && createHash('sha256').update(verifier).digest('base64url') === issued.challenge
      if (
        !issued ||
        issued.preset !== preset ||
        issued.redirectUri !== body.get('redirect_uri') ||
        !pkce ||
        body.get('grant_type') !== 'authorization_code'
      ) {
        // GitHub's way of refusing: HTTP 200 with an error field.
        return json(res, preset === 'github' ? 200 : 400, {
          error: preset === 'github' ? 'bad_verification_code' : 'invalid_grant',
        })
      }
      const accessToken = randomBytes(16).toString('hex')
      tokens.set(accessToken, { preset, scopes: issued.scopes })
      return json(res, 200, { access_token: accessToken, token_type: 'bearer', expires_in: 3600 })
    }

    const emails = preset === 'github' && path === GITHUB_EMAILS
    if (req.method === 'GET' && (path === paths.profile || emails)) {
      if (misbehave(res, emails ? fake.emails : fake.profile)) return
      const token = tokens.get((req.headers.authorization ?? '').replace(/^Bearer /, ''))
      if (token?.preset !== preset) return json(res, 401, { error: 'invalid_token' })
      if (preset === 'github' && !req.headers['user-agent']) return json(res, 403, { message: 'User-Agent required' })
      // GitHub hides what a token may not see behind a 404.
      if (emails)
        return token.scopes.has('user:email')
          ? json(res, 200, fake.githubEmails)
          : json(res, 404, { message: 'Not Found' })
      const fields = url.searchParams.get('fields')
      if (preset === 'facebook' && fields !== null && !fields.split(',').every(f => FACEBOOK_FIELDS.has(f)))
        return json(res, 400, { error: { message: `(#100) Tried accessing nonexisting field (${fields})` } })
      return json(res, 200, granted(preset, fake.profiles[preset], token.scopes, fields))
    }
    json(res, 404, { error: 'not_found' })
  }

  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  fake.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  for (const preset of Object.keys(PATHS) as PresetName[]) {
    fake.credentials[preset] = {
      id: `${preset}-client`,
      secret: `${preset}-secret-${randomBytes(6).toString('hex')}`,
      base_url: `${fake.base}/${preset}`,
    }
  }
  t.teardown(
    () =>
      new Promise<void>(resolve => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  return fake
}
