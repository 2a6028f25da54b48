import type { FastifyInstance } from 'fastify'
import { errors } from '../../errors.js'
import { oauthErrorOf } from './fetch-json.js'
import type { AuthorizationRequest, TokenSet } from './oauth-provider.js'

/**
 * The simple-oauth2 `AuthorizationCode` client that @fastify/oauth2
 * configures for each provider and exposes as `fastify.<name>.oauth2` (its
 * README, "Multiple providers"; the bundled typings leave it out).
 *
 * Why this and not the plugin's `generateAuthorizationUri` /
 * `getAccessTokenFromAuthorizationCodeFlow`: those keep the state and the
 * PKCE verifier in one cookie pair per provider, so two sign-ins started in
 * two tabs overwrite each other, the verifier cannot live server-side with
 * the rest of the flow, and the authorization URL cannot carry a per-flow
 * OpenID nonce. The flow (state, verifier, nonce, next) is therefore ours,
 * kept in SQLite and single-use; the plugin still owns the client: endpoint
 * and credential handling, the token request and its User-Agent.
 */
interface AuthorizationCodeClient {
  authorizeURL(params: Record<string, string>): string
  getToken(
    params: Record<string, string>,
    httpOptions?: { timeout?: number },
  ): Promise<{ token: Record<string, unknown> }>
}

/** The failure shape of @hapi/wreck, which simple-oauth2 uses for the token request. */
interface WreckError {
  message?: string
  output?: { statusCode?: number }
  data?: { isResponseError?: boolean; payload?: unknown }
}

export interface ClientOptions {
  /** Decoration name, unique per server. */
  name: string
  clientId: string
  secret: string
  authorizeUrl: string
  tokenUrl: string
  tokenAuth: 'header' | 'body'
  redirectUri: string
  scope: readonly string[]
  timeoutMs: number
  /** Provider name for messages. */
  what: string
}

/** One provider's client: builds authorization URLs and exchanges codes. */
export interface OAuthClient {
  authorizationUrl(request: AuthorizationRequest, extra?: Record<string, string>): string
  exchange(code: string, verifier: string): Promise<TokenSet>
}

function hostAndPath(url: string): { host: string; path: string } {
  const parsed = new URL(url)
  return { host: parsed.origin, path: parsed.pathname + parsed.search }
}

/**
 * Why the token request failed, in words safe to show and log: the wreck
 * error itself is never passed on, as it holds the request (code, verifier,
 * client secret).
 */
function exchangeFailure(error: unknown, what: string, timeoutMs: number): InstanceType<typeof errors.Provider> {
  const failure = (typeof error === 'object' && error !== null ? error : {}) as WreckError
  const status = failure.output?.statusCode
  if (failure.data?.isResponseError) {
    return new errors.Provider(
      `${what}'s token endpoint answered HTTP ${status ?? '?'}${oauthErrorOf(failure.data.payload)}`,
    )
  }
  if (/timeout/i.test(failure.message ?? ''))
    return new errors.Provider(`${what}'s token endpoint did not answer within ${timeoutMs} ms`)
  if (status === 406) return new errors.Provider(`${what}'s token endpoint answered something other than JSON`)
  return new errors.Provider(`${what}'s token endpoint could not be reached`)
}

/**
 * Registers @fastify/oauth2 for one provider on `app` and answers a client over it. The plugin (with
 * simple-oauth2 and its validation library) is imported here, so that a server with no OAuth provider configured
 * never loads it.
 */
export async function registerClient(app: FastifyInstance, options: ClientOptions): Promise<OAuthClient> {
  const { default: fastifyOauth2 } = await import('@fastify/oauth2')
  const authorize = hostAndPath(options.authorizeUrl)
  const token = hostAndPath(options.tokenUrl)
  await app.register(fastifyOauth2, {
    name: options.name,
    credentials: {
      client: { id: options.clientId, secret: options.secret },
      auth: {
        authorizeHost: authorize.host,
        authorizePath: authorize.path,
        tokenHost: token.host,
        tokenPath: token.path,
      },
      options: { authorizationMethod: options.tokenAuth },
      http: { timeout: options.timeoutMs },
    },
    // Required by the plugin; scope and PKCE are added per flow by `authorizationUrl` below.
    callbackUri: options.redirectUri,
  })
  const client = (app as unknown as Record<string, { oauth2: AuthorizationCodeClient }>)[options.name]!.oauth2
  const { what, timeoutMs, redirectUri } = options
  const scope = options.scope.join(' ')

  return {
    authorizationUrl(request, extra = {}) {
      return client.authorizeURL({
        redirect_uri: redirectUri,
        ...(scope ? { scope } : {}),
        state: request.state,
        code_challenge: request.challenge,
        code_challenge_method: 'S256',
        ...extra,
      })
    },

    async exchange(code, verifier) {
      let body: Record<string, unknown>
      try {
        ;({ token: body } = await client.getToken(
          { code, redirect_uri: redirectUri, code_verifier: verifier },
          { timeout: timeoutMs },
        ))
      } catch (error) {
        throw exchangeFailure(error, what, timeoutMs)
      }
      // GitHub answers a refused code with HTTP 200 and an `error` field.
      if (typeof body.access_token !== 'string' || !body.access_token) {
        throw new errors.Provider(`${what}'s token endpoint sent no access token${oauthErrorOf(body)}`)
      }
      return { accessToken: body.access_token, idToken: typeof body.id_token === 'string' ? body.id_token : null }
    },
  }
}
