import Provider, {
  interactionPolicy,
  type Configuration,
  type errors,
  type JWK,
  type KoaContextWithOIDC,
} from 'oidc-provider'
import type { EventEmitter } from 'node:events'
import type { FastifyBaseLogger } from 'fastify'
import type { SignInOf } from './sign-in-of.js'
import type { Config } from '../config.js'
import type { OidcStore } from '../storage/oidc.js'
import type { AppService } from '../apps/apps.js'
import type { OidcAccounts } from './accounts.js'
import { createAdapter } from './adapter.js'
import { clientMetadata, compareHashedSecrets } from './clients.js'
import { issuerOf } from './issuer.js'
import { logoutSource, postLogoutSuccessSource, renderError } from './pages.js'
import { mirrorLoginSessions } from './session-binding.js'

/** What building a provider needs; one is built per generation of signing keys. */
export interface ProviderDeps {
  config: Config
  log: FastifyBaseLogger
  store: OidcStore
  apps: AppService
  accounts: OidcAccounts
  /**
   * How the person behind a lease proved who they are: when (its `auth_time`; signing in again moves it on) and,
   * for a passkey, its `amr`.
   */
  signInOf: SignInOf
}

/** Where oidc-provider's endpoints live, below the issuer `<public url>/login`. */
export const ROUTES = {
  authorization: '/oidc/auth',
  token: '/oidc/token',
  userinfo: '/oidc/userinfo',
  revocation: '/oidc/token/revocation',
  introspection: '/oidc/token/introspection',
  device_authorization: '/oidc/device/auth',
  // A page of this site (src/oidc/device-page.ts), which oidc-provider only names in its answers.
  code_verification: '/device',
  end_session: '/oidc/session/end',
  // The ID-token keys only: a relying party never sees a lease key, so nothing it holds passes for a lease.
  jwks: '/oidc/jwks',
} as const

/** The interaction step (signing in, refusals) is served by this server itself, below the issuer. */
export const INTERACTION_PATH = '/oidc/interaction'

const DAY = 86_400
/** How long oidc-provider keeps a session: saved again at each authorization; it mirrors a login session, which ends it. */
export const SESSION_TTL = 365 * DAY

/**
 * The prompts an authorization request may need. `login` is oidc-provider's
 * own (it passes at once for a signed-in user, whose session is mirrored);
 * `membership` refuses users outside the client's `--require`
 * (`access_denied`); `consent` only when a client asks for it with
 * `prompt=consent`, and it is granted without a screen: every client was
 * registered by the admin and is first-party.
 */
function policy(accounts: OidcAccounts): interactionPolicy.Prompt[] {
  const { Check, Prompt, base } = interactionPolicy
  const login = base().get('login')!
  const membership = new Prompt(
    { name: 'membership', requestable: false },
    new Check(
      'not_a_member',
      'the app admits only members of a group the user is not in',
      'access_denied',
      async ctx => {
        const { client, session } = ctx.oidc
        return !(await accounts.admits(client?.clientId, session!.accountId!))
      },
    ),
  )
  return [login, membership, new Prompt({ name: 'consent', requestable: true })]
}

/** No consent screen: the grant covers whatever OpenID scopes a (first-party) client asks for. */
async function loadExistingGrant(ctx: KoaContextWithOIDC) {
  const { client, session, provider } = ctx.oidc
  const accountId = session!.accountId!
  const clientId = client!.clientId
  const grantId = ctx.oidc.result?.consent?.grantId ?? session!.grantIdFor(clientId)
  const existing = grantId ? await provider.Grant.find(grantId) : undefined
  const grant = existing?.accountId === accountId ? existing : new provider.Grant({ accountId, clientId })
  grant.addOIDCScope(ctx.oidc.requestParamOIDCScopes)
  await grant.save()
  return grant
}

/**
 * The OpenID Provider, configured strictly: authorization code flow only
 * (no implicit or hybrid), answers in the query only, PKCE (S256) required
 * for public clients, exact redirect URIs, no `none` or HMAC algorithms, ID
 * tokens RS256 unless a client registered for EdDSA; the device grant for
 * clients registered with `--device` and introspection for registered apps;
 * and none of the optional protocols this server does not offer (dynamic
 * registration, PAR, DPoP, ...).
 */
export function createProvider(deps: ProviderDeps, jwks: JWK[]): Provider {
  const { config, accounts } = deps
  const issuer = issuerOf(config)
  const issuerPath = new URL(issuer).pathname
  const cookieOptions = { httpOnly: true, sameSite: 'lax' } as const
  const configuration: Configuration = {
    adapter: createAdapter(
      deps.store,
      async id => clientMetadata(await deps.apps.client(id)),
      config.oidcInteractionsPerIp,
    ),
    jwks: { keys: jwks },
    findAccount: accounts.find,
    // ID tokens carry `amr` when the session began with a passkey (docs/passkeys.md, "Apps can tell"); the token, not the account,
    // holds it, so it is never in userinfo.
    claims: {
      openid: ['sub', 'amr'],
      profile: ['name', 'picture', 'preferred_username'],
      email: ['email', 'email_verified'],
      groups: ['groups'],
    },
    scopes: ['openid', 'offline_access', 'profile', 'email', 'groups'],
    // Grafana, Gitea and mod_auth_openidc read claims from the ID token as well as from userinfo.
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
    allowOmittingSingleRegisteredRedirectUri: false,
    enabledJWA: {
      idTokenSigningAlgValues: ['RS256', 'EdDSA'],
      userinfoSigningAlgValues: ['RS256', 'EdDSA'],
      clientAuthSigningAlgValues: [],
      requestObjectSigningAlgValues: [],
    },
    features: {
      devInteractions: { enabled: false },
      dPoP: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      resourceIndicators: { enabled: false },
      userinfo: { enabled: true },
      revocation: { enabled: true },
      // The page that takes user codes is this site's own (src/oidc/device-page.ts); oidc-provider answers the
      // device's requests (device authorization, polling the token endpoint).
      deviceFlow: { enabled: true, charset: 'base-20', mask: '****-****' },
      // Active only while the session behind the token lives and the user still meets the client's --require.
      introspection: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) =>
          (client.clientAuthMethod !== 'none' || token.clientId === client.clientId) &&
          'accountId' in token &&
          (await accounts.stands(token.accountId, token)),
      },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: { enabled: true, logoutSource, postLogoutSuccessSource },
    },
    interactions: {
      policy: policy(accounts),
      url: (_ctx, interaction) => `${issuerPath}${INTERACTION_PATH}/${interaction.uid}`,
    },
    loadExistingGrant,
    // Refresh tokens die with the login session they were issued in (see
    // `OidcAccounts.find`), so every client may have one; `offline_access`
    // is accepted and changes nothing.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    ttl: {
      AuthorizationCode: 60,
      Interaction: 10 * 60,
      AccessToken: 60 * 60,
      IdToken: 60 * 60,
      RefreshToken: 30 * DAY,
      Grant: 365 * DAY,
      Session: SESSION_TTL,
      DeviceCode: config.deviceCodeSeconds,
    },
    cookies: {
      names: {
        session: `${config.cookieName}-oidc`,
        interaction: `${config.cookieName}-oidc-interaction`,
        resume: `${config.cookieName}-oidc-resume`,
      },
      long: { ...cookieOptions, path: `${issuerPath}/oidc` },
      short: cookieOptions,
    },
    routes: ROUTES,
    renderError,
    // The only URLs this server calls are back-channel logout URIs that the
    // admin registered; self-hosted apps on loopback and private networks are
    // normal, so oidc-provider's guard against such addresses is left out.
    fetch: (input, init) => globalThis.fetch(input, { ...init, dispatcher: undefined } as RequestInit),
  }
  const provider = new Provider(issuer, configuration)
  // The issuer is the public URL whatever Host a request came in on: the
  // forwarding route sets X-Forwarded-Host/-Proto from it (src/oidc/plugin.ts).
  provider.proxy = true
  compareHashedSecrets(provider)
  mirrorLoginSessions(provider, deps.signInOf)
  logEvents(provider, deps.log)
  return provider
}

/** oidc-provider reports through events; what clients got wrong is logged without tokens or codes. */
function logEvents(provider: Provider, log: FastifyBaseLogger): void {
  provider.on('server_error', (_ctx, error) => log.error({ err: error }, 'OpenID Provider error'))
  // Koa's own: an error no handler of oidc-provider caught.
  ;(provider as unknown as EventEmitter).on('error', error => log.error({ err: error }, 'OpenID Provider error'))
  const refused = (event: string) => (_ctx: KoaContextWithOIDC, error: errors.OIDCProviderError) =>
    log.info({ event, error: error.error, description: error.error_description }, 'OpenID Connect request refused')
  provider.on('authorization.error', refused('authorization'))
  provider.on('grant.error', refused('token'))
  provider.on('userinfo.error', refused('userinfo'))
  provider.on('revocation.error', refused('revocation'))
  provider.on('introspection.error', refused('introspection'))
  provider.on('device_authorization.error', refused('device_authorization'))
  provider.on('end_session.error', refused('end_session'))
  provider.on('end_session_confirm.error', refused('end_session'))
  provider.on('backchannel.error', (_ctx, error, client) =>
    log.warn({ client: client.clientId, reason: error.message }, 'back-channel logout failed'),
  )
}
