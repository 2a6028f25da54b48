// The OpenID Foundation's certification test plans for OpenID Providers (its conformance suite,
// openid-certification/conformance-suite), walked module by module over real HTTP: one subtest per module, titled
// with the module's name, asserting what the module asserts, with openid-client and raw requests playing the suite.
// Modules the suite skips for this server, or that do not apply to statically registered clients, are subtests too:
// they assert the reason (docs/openid-provider.md, "Certification").
import t, { type Test } from 'tap'
import * as client from 'openid-client'
import { createHash } from 'node:crypto'
import {
  SignJWT,
  base64url,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  generateKeyPair,
  jwtVerify,
  type JWTPayload,
} from 'jose'
import { serveApp, startApp } from '../helpers/app.js'
import { page } from '../docs/markdown.js'
import { Browser, REDIRECT_URI, registerClient, type OidcSetup, type Tokens } from './fixture.js'
import { logoutReceiver } from './logout-receiver.js'

const server = await serveApp(t)
// The suite waits real seconds between two sign-ins (max_age=1, prompt=login). Here sign-in times come from the
// server's clock, which starts a minute behind the wall clock that oidc-provider reads max_age with, and is moved on.
server.clock.advance(-60)
const receiver = await logoutReceiver(t)
/** Where the suite's relying party asks to return after logout: nothing listens there, the "browser" stops at it. */
const POST_LOGOUT = 'http://127.0.0.1:9/post_logout_redirect'
const WHO = 'Buffy Summers'

const basic = await registerClient(server, 'conformance', { postLogoutRedirectUris: [POST_LOGOUT] })
const second = await registerClient(server, 'conformance-second')
const secretPost = await registerClient(server, 'conformance-post', {}, secret => client.ClientSecretPost(secret!))
const backchannel = await registerClient(server, 'conformance-backchannel', {
  postLogoutRedirectUris: [POST_LOGOUT],
  backchannelLogoutUri: receiver.uri,
})
const twoRedirectUris = await registerClient(server, 'conformance-two-uris', {
  redirectUris: [REDIRECT_URI, 'http://127.0.0.1:9/other-callback'],
})
const { issuer } = basic
const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>
const keys = createRemoteJWKSet(new URL(discovery.jwks_uri as string))

// The person the suite signs in as: a sign-in method that vouched for an address, so that the email scope has one.
await server.signIn(WHO)
const buffy = (await server.app.ctx.users.findByIdentity('test', WHO))!
await server.app.ctx.users.link(buffy.id, 'google', 'g-buffy', server.clock.now(), 'buffy@sunnydale.example')

// ---- the suite's steps

interface Request {
  scope?: string
  params?: Record<string, string>
  /** Leave out the nonce (which the suite sends unless a module says otherwise). */
  nonce?: boolean
  pkce?: boolean
  /** Send the query's parameters in the reverse order. */
  reversed?: boolean
}

interface Authorized {
  /** Where the browser ended: the client's redirect URI with the answer, or a page of the server. */
  landed: { url: URL; response?: Response }
  checks: client.AuthorizationCodeGrantChecks & { expectedState: string }
  /** Whether the person was shown the sign-in page on the way. */
  signInShown: boolean
}

/** An authorization request as the suite builds it: state and nonce, PKCE only when asked. */
async function authorizationUrl(setup: Pick<OidcSetup, 'rp'>, request: Request = {}) {
  const state = client.randomState()
  const nonce = request.nonce === false ? undefined : client.randomNonce()
  const verifier = request.pkce ? client.randomPKCECodeVerifier() : undefined
  const url = client.buildAuthorizationUrl(setup.rp, {
    redirect_uri: REDIRECT_URI,
    scope: request.scope ?? 'openid',
    state,
    ...(nonce && { nonce }),
    ...(verifier && {
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    }),
    ...request.params,
  })
  if (request.reversed) url.search = new URLSearchParams([...url.searchParams].reverse()).toString()
  return { url, checks: { expectedState: state, expectedNonce: nonce, pkceCodeVerifier: verifier } }
}

/** The sign-in page's way back, taken as the person would: signing in (again) as {@link WHO}. */
function signIn(browser: Browser, signInPage: URL) {
  const next = signInPage.searchParams.get('next')!
  return browser.visit(`${server.base}/login/test/as?who=${encodeURIComponent(WHO)}&next=${encodeURIComponent(next)}`)
}

/** Sends the browser to the authorization endpoint and through the sign-in page when it is shown. */
async function authorize(browser: Browser, setup: Pick<OidcSetup, 'rp'> = basic, request: Request = {}) {
  const { url, checks } = await authorizationUrl(setup, request)
  return follow(browser, await browser.visit(url), checks)
}

async function follow(
  browser: Browser,
  first: Authorized['landed'],
  checks: Authorized['checks'],
): Promise<Authorized> {
  const atSignIn = first.response !== undefined && first.url.origin === server.base && first.url.pathname === '/login'
  return { landed: atSignIn ? await signIn(browser, first.url) : first, checks, signInShown: atSignIn }
}

/** The authorization response's checks (the suite's CheckMatchingCallbackParameters and friends). */
function checkCallback(t: Test, authorized: Authorized): URL {
  const { landed, checks } = authorized
  t.notOk(landed.response, `back at the client, not on a page (${landed.url.href.slice(0, 120)})`)
  t.equal(`${landed.url.origin}${landed.url.pathname}`, REDIRECT_URI, 'at the registered redirect URI')
  t.equal(landed.url.searchParams.get('state'), checks.expectedState, 'state comes back unchanged')
  t.equal(landed.url.searchParams.get('iss'), issuer, 'iss, when present, is the issuer (RFC 9207)')
  t.ok(landed.url.searchParams.get('code'), 'a code')
  t.notOk(landed.url.searchParams.has('error'))
  return landed.url
}

/** An ID token as the suite validates it: signature with a published key named by kid, and its claims. */
async function checkIdToken(t: Test, idToken: string, setup: Pick<OidcSetup, 'app'>, nonce?: string) {
  const header = decodeProtectedHeader(idToken)
  t.equal(header.alg, 'RS256', 'RS256 when the client registered no algorithm')
  const published = (await (await fetch(discovery.jwks_uri as string)).json()) as { keys: { kid: string }[] }
  t.ok(
    published.keys.some(key => key.kid === header.kid),
    'kid names a key of jwks_uri',
  )
  const { payload } = await jwtVerify(idToken, keys, { issuer, audience: setup.app.id, algorithms: ['RS256'] })
  t.type(payload.sub, 'string', 'sub')
  t.type(payload.iat, 'number', 'iat')
  t.ok(payload.exp! > payload.iat!, 'exp after iat')
  t.equal(payload.nonce, nonce, nonce ? 'the nonce of the request' : 'no nonce when none was sent')
  t.ok(payload.iat! * 1000 > Date.now() - 5 * 60_000, 'iat no more than five minutes old')
  const authTime = payload.auth_time as number | undefined
  if (authTime !== undefined) t.ok(authTime <= payload.iat!, 'auth_time not in the future')
  return payload as JWTPayload & { auth_time?: number; sid?: string }
}

/** A token endpoint answer as the suite checks it, and its ID token. */
async function checkTokens(t: Test, tokens: Tokens, setup: Pick<OidcSetup, 'app'>, nonce?: string) {
  t.equal(tokens.token_type.toLowerCase(), 'bearer', 'a bearer token')
  t.type(tokens.access_token, 'string')
  t.type(tokens.expires_in, 'number', 'expires_in')
  t.type(tokens.id_token, 'string', 'an ID token from the token endpoint')
  const claims = await checkIdToken(t, tokens.id_token!, setup, nonce)
  const atHash = claims.at_hash
  if (atHash !== undefined) {
    const digest = createHash('sha256').update(tokens.access_token).digest()
    t.equal(atHash, base64url.encode(digest.subarray(0, 16)), 'at_hash of the access token')
  }
  return claims
}

/** Userinfo's standard claims, of the types OpenID Connect Core §5.1 gives them (ValidateUserInfoStandardClaims). */
function checkUserinfo(t: Test, userinfo: Record<string, unknown>, sub: string) {
  t.equal(userinfo.sub, sub, 'userinfo speaks of the ID token subject')
  for (const claim of ['name', 'preferred_username', 'email']) {
    if (claim in userinfo) t.type(userinfo[claim], 'string', `${claim} is a string`)
  }
  if ('email_verified' in userinfo) t.type(userinfo.email_verified, 'boolean', 'email_verified is a boolean')
  if ('picture' in userinfo) t.match(userinfo.picture, /^https?:\/\//, 'picture is a URL')
}

/** A whole code flow as oidcc-server runs it: authorize, exchange the code, validate, ask userinfo. */
async function happyFlow(
  t: Test,
  browser = new Browser(),
  request: Request = {},
  setup: Pick<OidcSetup, 'rp' | 'app'> = basic,
) {
  const authorized = await authorize(browser, setup, request)
  const callback = checkCallback(t, authorized)
  const tokens = await client.authorizationCodeGrant(setup.rp, callback, authorized.checks)
  const claims = await checkTokens(t, tokens, setup, authorized.checks.expectedNonce)
  const userinfo = await client.fetchUserInfo(setup.rp, tokens.access_token, claims.sub!)
  checkUserinfo(t, userinfo, claims.sub!)
  return { tokens, claims, userinfo, callback, authorized, browser }
}

/** What the client hears from a request the server must refuse in front of the person: a page, and no redirect with a code. */
function checkErrorPage(t: Test, landed: Authorized['landed'], pattern: RegExp) {
  t.ok(landed.response, 'a page of the server, not a redirect back to the client')
  t.equal(landed.response?.status, 400)
  t.notOk(landed.url.searchParams.has('code'))
  return landed.response!.text().then(html => t.match(html, pattern, 'which says why'))
}

/** The error of a redirect back to the client. */
function errorOf(landed: Authorized['landed']): string | null {
  return landed.response ? null : landed.url.searchParams.get('error')
}

/**
 * Two authorizations in one browser, the second with `params`: the same person, and no sign-in asked (the suite's
 * AbstractOIDCCSameAuthTwiceServerTest).
 */
async function sameAuthTwice(t: Test, params: Record<string, string>, first: Record<string, string> = {}) {
  const one = await happyFlow(t, new Browser(), { params: first })
  const request = typeof params.id_token_hint === 'string' ? params : { ...params }
  if (request.id_token_hint === 'first') request.id_token_hint = one.tokens.id_token!
  const two = await happyFlow(t, one.browser, { params: request })
  t.notOk(two.authorized.signInShown, 'the second authorization asks the person nothing')
  t.equal(two.claims.sub, one.claims.sub, 'the same sub')
  if (one.claims.auth_time !== undefined && two.claims.auth_time !== undefined)
    t.equal(two.claims.auth_time, one.claims.auth_time, 'the same auth_time')
  return { one, two }
}

/** The request the suite's relying party makes at the end_session_endpoint. */
function endSession(params: Record<string, string>): URL {
  const url = new URL(discovery.end_session_endpoint as string)
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value)
  return url
}

/** The logout question, answered "Yes, sign me out" as the person would; answers where the browser went then. */
async function confirmLogout(t: Test, browser: Browser, question: Authorized['landed']) {
  t.equal(question.response?.status, 200, 'the server asks before signing out')
  const html = await question.response!.text()
  const action = /<form id="logout" method="post" action="([^"]+)">/.exec(html)?.[1]
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1]
  t.ok(action && xsrf, 'a form to confirm with')
  const answer = await browser.fetch(new URL(action!, server.base), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    body: new URLSearchParams({ xsrf: xsrf!, logout: 'yes' }),
  })
  const location = answer.headers.get('location')
  return location === null
    ? { url: new URL(action!, server.base), response: answer }
    : browser.visit(new URL(location, server.base), POST_LOGOUT)
}

/**
 * After a logout, prompt=none must answer an error that needs the person (the suite's
 * CheckErrorFromAuthorizationEndpointIsOneThatRequiredAUserInterface).
 */
async function checkSignedOut(t: Test, browser: Browser) {
  const silent = await authorize(browser, basic, { params: { prompt: 'none' } })
  t.match(
    errorOf(silent.landed),
    /^(login_required|interaction_required|consent_required|account_selection_required)$/,
    'prompt=none now answers an error that needs the person: signed out',
  )
  t.equal(silent.landed.url.searchParams.get('state'), silent.checks.expectedState)
}

/** Signs in through `setup` and answers the browser and the ID token, as the logout modules begin. */
async function signedIn(t: Test, setup: Pick<OidcSetup, 'rp' | 'app'> = basic) {
  const flow = await happyFlow(t, new Browser(), {}, setup)
  return { browser: flow.browser, idToken: flow.tokens.id_token!, claims: flow.claims }
}

/** A logout request the server must refuse with a page (no redirect back), and after which the person is still signed in. */
async function refusedLogout(t: Test, params: (idToken: string) => Record<string, string>, pattern: RegExp) {
  const { browser, idToken } = await signedIn(t)
  const landed = await browser.visit(endSession(params(idToken)), POST_LOGOUT)
  t.notOk(landed.url.href.startsWith(POST_LOGOUT), 'never back at the post-logout URI')
  await checkErrorPage(t, landed, pattern)
  const still = await authorize(browser, basic, { params: { prompt: 'none' } })
  t.ok(still.landed.url.searchParams.get('code'), 'nothing was signed out')
}

/** A logout that shows the "you are signed out" page rather than returning to the client. */
async function logoutToPage(t: Test, params: (idToken: string) => Record<string, string>) {
  const { browser, idToken } = await signedIn(t)
  const done = await confirmLogout(t, browser, await browser.visit(endSession(params(idToken)), POST_LOGOUT))
  t.notOk(done.url.href.startsWith(POST_LOGOUT), 'not sent to the post-logout URI, which the request did not name')
  t.match(await done.response?.text(), /You are signed out/, 'the signed-out page')
  await checkSignedOut(t, browser)
}

/** A logout that returns to the client's post-logout URI. */
async function logoutToClient(t: Test, params: (idToken: string) => Record<string, string>, state?: string) {
  const { browser, idToken } = await signedIn(t)
  const back = await confirmLogout(t, browser, await browser.visit(endSession(params(idToken)), POST_LOGOUT))
  t.equal(`${back.url.origin}${back.url.pathname}`, POST_LOGOUT, 'back at the registered post-logout URI')
  t.same(
    [...back.url.searchParams.keys()],
    state === undefined ? [] : ['state'],
    state === undefined ? 'with no state' : 'with the state only',
  )
  if (state !== undefined) t.equal(back.url.searchParams.get('state'), state)
  await checkSignedOut(t, browser)
}

/** Discovery as the server answers it under an https public URL, as deployed (the suite wants every endpoint https). */
async function httpsDiscovery(t: Test): Promise<Record<string, unknown>> {
  const { app } = await startApp(t, { publicUrl: 'https://login.example.org' })
  const answer = await app.inject({ url: '/login/.well-known/openid-configuration' })
  t.equal(answer.statusCode, 200)
  return answer.json()
}

function checkAllHttps(t: Test, document: Record<string, unknown>) {
  const endpoints = Object.entries(document).filter(
    ([name, value]) =>
      typeof value === 'string' && (name.endsWith('_endpoint') || name === 'jwks_uri' || name === 'issuer'),
  )
  t.ok(endpoints.length >= 8, `${endpoints.length} endpoints`)
  for (const [name, value] of endpoints)
    t.match(value, /^https:\/\/login\.example\.org\/login(\/|$)/, `${name} is https`)
}

// ---- the plans

type Outcome = 'passed' | 'skipped' | 'not applicable'

interface Module {
  name: string
  outcome: Outcome
  /** Why the suite skips it, or why it does not apply. */
  why?: string
  run(t: Test): Promise<unknown>
}

const passed = (name: string, run: Module['run']): Module => ({ name, outcome: 'passed', run })
const skipped = (name: string, why: string, run: Module['run']): Module => ({ name, outcome: 'skipped', why, run })
const notApplicable = (name: string, why: string, run: Module['run']): Module => ({
  name,
  outcome: 'not applicable',
  why,
  run,
})

/** The scopes this server offers, which the suite reads to skip the modules of scopes it lacks. */
const scopesSupported = discovery.scopes_supported as string[]
const unsupportedScope = (scopes: string[]) => async (t: Test) => {
  for (const scope of scopes) t.notOk(scopesSupported.includes(scope), `scopes_supported has no ${scope}`)
  const asked = await happyFlow(t, new Browser(), { scope: ['openid', ...scopes].join(' ') })
  t.same(
    Object.keys(asked.userinfo).filter(claim => /^(address|phone_number)/.test(claim)),
    [],
    'asked anyway, the unknown scopes are ignored and the sign-in succeeds',
  )
}
const noRequestObjects = (parameter: 'request' | 'request_uri', error: string) => async (t: Test) => {
  t.notOk(
    ((discovery.request_object_signing_alg_values_supported as string[] | undefined) ?? []).includes('none'),
    'no unsigned request objects in discovery: the suite skips the module',
  )
  const unsigned = `${base64url.encode('{"alg":"none"}')}.${base64url.encode(JSON.stringify({ scope: 'openid' }))}.`
  const value = parameter === 'request' ? unsigned : 'https://rp.example.org/request.jwt'
  const asked = await authorize(new Browser(), basic, { params: { [parameter]: value } })
  t.equal(errorOf(asked.landed), error, `and the request is refused with ${error}, which the module accepts too`)
}

const plans: { plan: string; modules: Module[] }[] = [
  {
    plan: 'oidcc-basic-certification-test-plan',
    modules: [
      passed('oidcc-server', async t => {
        const { authorized } = await happyFlow(t)
        t.ok(authorized.signInShown, 'signed out at first: the sign-in page, then back')
      }),
      passed('oidcc-response-type-missing', async t => {
        const { url, checks } = await authorizationUrl(basic)
        url.searchParams.delete('response_type')
        const landed = await new Browser().visit(url)
        if (landed.response) await checkErrorPage(t, landed, /response_type/)
        else {
          t.match(errorOf(landed), /^(invalid_request|unsupported_response_type)$/, 'an error back at the client')
          t.equal(landed.url.searchParams.get('state'), checks.expectedState)
          t.notOk(landed.url.searchParams.has('code'))
        }
      }),
      notApplicable(
        'oidcc-idtoken-signature',
        'registers a client of its own (dynamic registration); the signature and kid checks run in oidcc-server',
        async t => t.notOk('registration_endpoint' in discovery, 'no registration endpoint: clients are static'),
      ),
      notApplicable(
        'oidcc-idtoken-unsigned',
        'registers a client asking for alg none (dynamic registration); ID tokens are never unsigned here',
        async t => {
          t.notOk('registration_endpoint' in discovery)
          t.notOk((discovery.id_token_signing_alg_values_supported as string[]).includes('none'), 'no alg none')
        },
      ),
      passed('oidcc-userinfo-get', async t => {
        const { tokens, claims } = await happyFlow(t)
        const answer = await fetch(discovery.userinfo_endpoint as string, {
          headers: { authorization: `Bearer ${tokens.access_token}` },
        })
        t.equal(answer.status, 200)
        checkUserinfo(t, (await answer.json()) as Record<string, unknown>, claims.sub!)
      }),
      passed('oidcc-userinfo-post-header', async t => {
        const { tokens, claims } = await happyFlow(t)
        const answer = await fetch(discovery.userinfo_endpoint as string, {
          method: 'POST',
          headers: { authorization: `Bearer ${tokens.access_token}` },
        })
        t.equal(answer.status, 200)
        checkUserinfo(t, (await answer.json()) as Record<string, unknown>, claims.sub!)
      }),
      passed('oidcc-userinfo-post-body', async t => {
        const { tokens, claims } = await happyFlow(t)
        const answer = await fetch(discovery.userinfo_endpoint as string, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ access_token: tokens.access_token }),
        })
        t.equal(answer.status, 200, 'the access token in the body (RFC 6750 §2.2) is accepted')
        checkUserinfo(t, (await answer.json()) as Record<string, unknown>, claims.sub!)
      }),
      passed('oidcc-ensure-request-without-nonce-succeeds-for-code-flow', async t => {
        const { claims } = await happyFlow(t, new Browser(), { nonce: false })
        t.notOk('nonce' in claims)
      }),
      passed('oidcc-scope-profile', async t => {
        const { userinfo } = await happyFlow(t, new Browser(), { scope: 'openid profile' })
        t.match(userinfo, { name: WHO, preferred_username: 'Buffy.Summers' }, 'the profile claims this server has')
      }),
      passed('oidcc-scope-email', async t => {
        const { userinfo } = await happyFlow(t, new Browser(), { scope: 'openid email' })
        t.match(userinfo, { email: 'buffy@sunnydale.example', email_verified: true }, 'both email claims')
      }),
      skipped(
        'oidcc-scope-address',
        'scopes_supported has no address: there is no address to give',
        unsupportedScope(['address']),
      ),
      skipped(
        'oidcc-scope-phone',
        'scopes_supported has no phone: there is no phone number to give',
        unsupportedScope(['phone']),
      ),
      skipped(
        'oidcc-scope-all',
        'asks for address and phone too, which scopes_supported lacks',
        unsupportedScope(['address', 'phone']),
      ),
      passed('oidcc-alternate-happy-flow', async t => {
        const { userinfo } = await happyFlow(t, new Browser(), { scope: 'email openid', reversed: true })
        t.match(userinfo, { email: 'buffy@sunnydale.example' }, 'the order of scopes and parameters does not matter')
      }),
      passed('oidcc-display-page', async t => happyFlow(t, new Browser(), { params: { display: 'page' } })),
      passed('oidcc-display-popup', async t => happyFlow(t, new Browser(), { params: { display: 'popup' } })),
      passed('oidcc-prompt-login', async t => {
        const first = await happyFlow(t, new Browser(), { params: { max_age: '15000' } })
        server.clock.advance(2)
        const again = await authorize(first.browser, basic, { params: { prompt: 'login', max_age: '15000' } })
        t.ok(again.signInShown, 'the person is asked to sign in again')
        const tokens = await client.authorizationCodeGrant(basic.rp, checkCallback(t, again), again.checks)
        const claims = await checkTokens(t, tokens, basic, again.checks.expectedNonce)
        t.ok(claims.auth_time! > first.claims.auth_time!, 'the second auth_time is later than the first')
      }),
      passed('oidcc-prompt-none-not-logged-in', async t => {
        const silent = await authorize(new Browser(), basic, { params: { prompt: 'none' } })
        t.notOk(silent.signInShown, 'no page: an answer to the client')
        t.match(
          errorOf(silent.landed),
          /^(login_required|interaction_required|consent_required|account_selection_required)$/,
        )
        t.equal(silent.landed.url.searchParams.get('state'), silent.checks.expectedState)
        t.notOk(silent.landed.url.searchParams.has('code'))
      }),
      passed('oidcc-prompt-none-logged-in', async t => sameAuthTwice(t, { prompt: 'none' })),
      passed('oidcc-max-age-1', async t => {
        const first = await happyFlow(t)
        server.clock.advance(2)
        const again = await authorize(first.browser, basic, { params: { max_age: '1' } })
        t.ok(again.signInShown, 'the sign-in is over a second old: the person signs in again')
        const tokens = await client.authorizationCodeGrant(basic.rp, checkCallback(t, again), again.checks)
        const claims = await checkTokens(t, tokens, basic, again.checks.expectedNonce)
        t.type(claims.auth_time, 'number', 'auth_time, since max_age was asked')
        t.ok(claims.auth_time! * 1000 > Date.now() - 5 * 60_000 - 1000, 'a recent auth_time')
        t.equal(claims.auth_time, server.clock.now(), 'the time of the sign-in just made, not the first one')
      }),
      passed('oidcc-max-age-10000', async t => {
        const { one, two } = await sameAuthTwice(t, { max_age: '10000' }, { max_age: '15000' })
        t.type(one.claims.auth_time, 'number', 'auth_time in the first ID token (max_age asked)')
        t.type(two.claims.auth_time, 'number', 'and in the second')
      }),
      passed('oidcc-ensure-request-with-unknown-parameter-succeeds', async t =>
        happyFlow(t, new Browser(), { params: { extra: 'foobar' } }),
      ),
      passed('oidcc-id-token-hint', async t => sameAuthTwice(t, { prompt: 'none', id_token_hint: 'first' })),
      passed('oidcc-login-hint', async t => happyFlow(t, new Browser(), { params: { login_hint: 'buffy@127.0.0.1' } })),
      passed('oidcc-ui-locales', async t => happyFlow(t, new Browser(), { params: { ui_locales: 'se' } })),
      passed('oidcc-claims-locales', async t => happyFlow(t, new Browser(), { params: { claims_locales: 'se' } })),
      passed('oidcc-ensure-request-with-acr-values-succeeds', async t => {
        const { claims } = await happyFlow(t, new Browser(), { params: { acr_values: '1 2' } })
        t.notOk('acr' in claims, 'no acr: the suite notes it, as a warning (acr_values_supported is not announced)')
      }),
      passed('oidcc-codereuse', async t => {
        const { callback, authorized } = await happyFlow(t)
        const again = await client.authorizationCodeGrant(basic.rp, callback, authorized.checks).then(
          () => null,
          (error: unknown) => error,
        )
        t.match(again, { error: 'invalid_grant' }, 'a code works once')
      }),
      passed('oidcc-codereuse-30seconds', async t => {
        // The suite waits 30 seconds, within the code's lifetime: a used code is refused whenever it returns.
        const { callback, authorized, tokens, claims } = await happyFlow(t)
        const again = await client.authorizationCodeGrant(basic.rp, callback, authorized.checks).then(
          () => null,
          (error: unknown) => error,
        )
        t.match(again, { error: 'invalid_grant' })
        const revoked = await client.fetchUserInfo(basic.rp, tokens.access_token, claims.sub!).then(
          () => null,
          (error: unknown) => error,
        )
        t.ok(revoked, 'the access token of the first exchange was revoked (RFC 6749 §4.1.2)')
      }),
      passed('oidcc-ensure-registered-redirect-uri', async t => {
        const { url } = await authorizationUrl(basic)
        url.searchParams.set('redirect_uri', 'http://127.0.0.1:9/unregistered')
        await checkErrorPage(t, await new Browser().visit(url, 'http://127.0.0.1:9/unregistered'), /redirect_uri/)
      }),
      passed('oidcc-ensure-post-request-succeeds', async t => {
        const { url, checks } = await authorizationUrl(basic)
        const browser = new Browser()
        const posted = await browser.fetch(`${url.origin}${url.pathname}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
          body: url.searchParams,
        })
        t.equal(posted.status, 303, 'the POST is answered like a GET')
        const authorized = await follow(
          browser,
          await browser.visit(new URL(posted.headers.get('location')!, url)),
          checks,
        )
        const tokens = await client.authorizationCodeGrant(basic.rp, checkCallback(t, authorized), checks)
        await checkTokens(t, tokens, basic, checks.expectedNonce)
      }),
      passed('oidcc-server-client-secret-post', async t => {
        const { tokens } = await happyFlow(t, new Browser(), {}, secretPost)
        t.ok(tokens.access_token, 'the client authenticated with its secret in the body')
      }),
      skipped(
        'oidcc-request-uri-unsigned-supported-correctly-or-rejected-as-unsupported',
        'request_object_signing_alg_values_supported does not offer none (request objects are not supported)',
        noRequestObjects('request_uri', 'request_uri_not_supported'),
      ),
      skipped(
        'oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported',
        'request_object_signing_alg_values_supported does not offer none (request objects are not supported)',
        noRequestObjects('request', 'request_not_supported'),
      ),
      passed('oidcc-claims-essential', async t => {
        const { userinfo, claims } = await happyFlow(t, new Browser(), {
          params: { claims: JSON.stringify({ userinfo: { name: { essential: true } } }) },
        })
        t.notOk('name' in claims, 'never in the ID token')
        t.notOk(
          'name' in userinfo,
          'the claims parameter is not supported: without the profile scope no name (the suite warns)',
        )
      }),
      skipped(
        'oidcc-ensure-request-object-with-redirect-uri',
        'needs request objects, which are not supported (no unsigned request objects in discovery)',
        noRequestObjects('request', 'request_not_supported'),
      ),
      passed('oidcc-refresh-token', async t => {
        const first = await happyFlow(t, new Browser(), {
          scope: 'openid offline_access',
          params: { prompt: 'consent' },
        })
        t.ok((discovery.scopes_supported as string[]).includes('offline_access'))
        const refreshToken = first.tokens.refresh_token!
        t.type(refreshToken, 'string', 'a refresh token')
        const refreshed = await client.refreshTokenGrant(basic.rp, refreshToken)
        t.not(refreshed.access_token, first.tokens.access_token, 'a new access token')
        const claims = decodeJwt(refreshed.id_token!) as JWTPayload
        await checkIdToken(t, refreshed.id_token!, basic, first.claims.nonce as string | undefined)
        t.equal(claims.azp, first.claims.azp, 'azp as in the first ID token (absent in both)')
        t.equal(claims.iss, first.claims.iss, 'refreshed ID token: the same iss')
        t.equal(claims.sub, first.claims.sub, 'the same sub')
        t.same(claims.aud, first.claims.aud, 'the same aud')
        t.ok(claims.iat! >= first.claims.iat!, 'a later iat')
        t.equal(claims.auth_time, first.claims.auth_time, 'the same auth_time')
        checkUserinfo(t, await client.fetchUserInfo(basic.rp, refreshed.access_token, claims.sub!), claims.sub!)
        const stolen = await client.refreshTokenGrant(second.rp, refreshed.refresh_token ?? refreshToken).then(
          () => null,
          (error: unknown) => error,
        )
        t.match(stolen, { error: 'invalid_grant' }, "another client cannot use this client's refresh token")
      }),
      passed('oidcc-ensure-request-with-valid-pkce-succeeds', async t => happyFlow(t, new Browser(), { pkce: true })),
    ],
  },
  {
    plan: 'oidcc-config-certification-test-plan',
    modules: [
      passed('oidcc-discovery-endpoint-verification', async t => {
        const answer = await fetch(`${issuer}/.well-known/openid-configuration`)
        t.equal(answer.status, 200)
        t.match(answer.headers.get('content-type'), /^application\/json/)
        const document = (await answer.json()) as Record<string, unknown>
        t.equal(document.issuer, issuer, 'issuer is where discovery was found')
        t.match(document.response_types_supported, ['code'], 'the code flow')
        t.ok((document.subject_types_supported as string[]).includes('public'))
        t.ok((document.id_token_signing_alg_values_supported as string[]).includes('RS256'))
        t.ok((document.scopes_supported as string[]).includes('openid'))
        t.ok((document.grant_types_supported as string[]).includes('authorization_code'))
        t.ok(Array.isArray(document.code_challenge_methods_supported))
        for (const endpoint of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint'])
          t.match(document[endpoint], new RegExp(`^${issuer}/`), `${endpoint} is announced`)
        const jwks = (await (await fetch(document.jwks_uri as string)).json()) as {
          keys: { kid?: string; kty: string; d?: string }[]
        }
        t.ok(jwks.keys.length > 0 && jwks.keys.every(key => key.kid && key.kty), 'keys with kty and kid')
        t.equal(new Set(jwks.keys.map(key => key.kid)).size, jwks.keys.length, 'distinct kids')
        t.notOk(
          jwks.keys.some(key => 'd' in key),
          'no private part',
        )
        checkAllHttps(t, await httpsDiscovery(t))
      }),
    ],
  },
  {
    plan: 'oidcc-rp-initiated-logout-certification-test-plan',
    modules: [
      passed('oidcc-rp-initiated-logout-discovery-endpoint-verification', async t => {
        t.match(discovery.end_session_endpoint, `${issuer}/oidc/session/end`)
        const deployed = await httpsDiscovery(t)
        t.match(deployed.end_session_endpoint, /^https:\/\//, 'https, as deployed')
        checkAllHttps(t, deployed)
      }),
      passed('oidcc-rp-initiated-logout', async t =>
        logoutToClient(
          t,
          idToken => ({ id_token_hint: idToken, post_logout_redirect_uri: POST_LOGOUT, state: 'rp-state-1' }),
          'rp-state-1',
        ),
      ),
      passed('oidcc-rp-initiated-logout-bad-post-logout-redirect-uri', async t =>
        refusedLogout(
          t,
          idToken => ({
            id_token_hint: idToken,
            post_logout_redirect_uri: 'http://127.0.0.1:9/bad_post_logout_redirect_uri',
            state: 's',
          }),
          /post_logout_redirect_uri/,
        ),
      ),
      passed('oidcc-rp-initiated-logout-modified-id-token-hint', async t =>
        refusedLogout(
          t,
          idToken => {
            const [, payload] = idToken.split('.')
            return {
              id_token_hint: `${base64url.encode('{"alg":"none"}')}.${payload}.`,
              post_logout_redirect_uri: POST_LOGOUT,
              state: 's',
            }
          },
          /id_token_hint/,
        ),
      ),
      passed('oidcc-rp-initiated-logout-no-id-token-hint', async t => {
        // Nothing says which client asks, so the URI cannot be trusted: the person is asked, and never sent there.
        const { browser } = await signedIn(t)
        const asked = await browser.visit(
          endSession({ post_logout_redirect_uri: POST_LOGOUT, state: 's' }),
          POST_LOGOUT,
        )
        const done = await confirmLogout(t, browser, asked)
        t.notOk(done.url.href.startsWith(POST_LOGOUT), 'never sent to the post-logout URI')
        t.match(await done.response?.text(), /You are signed out/)
        await checkSignedOut(t, browser)
      }),
      passed('oidcc-rp-initiated-logout-no-params', async t => logoutToPage(t, () => ({}))),
      passed('oidcc-rp-initiated-logout-no-post-logout-redirect-uri', async t =>
        logoutToPage(t, idToken => ({ id_token_hint: idToken, state: 's' })),
      ),
      passed('oidcc-rp-initiated-logout-no-state', async t =>
        logoutToClient(t, idToken => ({ id_token_hint: idToken, post_logout_redirect_uri: POST_LOGOUT })),
      ),
      passed('oidcc-rp-initiated-logout-only-state', async t => logoutToPage(t, () => ({ state: 'only' }))),
      passed('oidcc-rp-initiated-logout-query-added-to-post-logout-redirect-uri', async t =>
        refusedLogout(
          t,
          idToken => ({ id_token_hint: idToken, post_logout_redirect_uri: `${POST_LOGOUT}?foo=bar`, state: 's' }),
          /post_logout_redirect_uri/,
        ),
      ),
      passed('oidcc-rp-initiated-logout-bad-id-token-hint', async t => {
        // An ID token signed by the suite itself, with its own key: right claims, wrong signer.
        const { privateKey } = await generateKeyPair('RS256')
        const { browser, claims } = await signedIn(t)
        const fake = await new SignJWT({ sub: claims.sub })
          .setProtectedHeader({ alg: 'RS256', kid: 'suite-key' })
          .setIssuer(issuer)
          .setAudience(basic.app.id)
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(privateKey)
        const landed = await browser.visit(
          endSession({ id_token_hint: fake, post_logout_redirect_uri: POST_LOGOUT, state: 's' }),
          POST_LOGOUT,
        )
        t.notOk(landed.url.href.startsWith(POST_LOGOUT), 'never back at the post-logout URI')
        await checkErrorPage(t, landed, /id_token_hint/)
        const still = await authorize(browser, basic, { params: { prompt: 'none' } })
        t.ok(still.landed.url.searchParams.get('code'), 'nothing was signed out')
      }),
    ],
  },
  {
    plan: 'oidcc-backchannel-rp-initiated-logout-certification-test-plan',
    modules: [
      passed('oidcc-backchannel-logout-discovery-endpoint-verification', async t => {
        t.equal(discovery.backchannel_logout_supported, true)
        t.equal(discovery.backchannel_logout_session_supported, true, 'sid in ID and logout tokens')
        t.type(discovery.end_session_endpoint, 'string')
        checkAllHttps(t, await httpsDiscovery(t))
      }),
      passed('oidcc-backchannel-rp-initiated-logout', async t => {
        const { browser, idToken, claims } = await signedIn(t, backchannel)
        t.type(claims.sid, 'string', 'a client with a back-channel URI gets sid in its ID tokens')
        const before = receiver.tokens.length
        const back = await confirmLogout(
          t,
          browser,
          await browser.visit(
            endSession({ id_token_hint: idToken, post_logout_redirect_uri: POST_LOGOUT, state: 'bc-state' }),
            POST_LOGOUT,
          ),
        )
        t.equal(back.url.searchParams.get('state'), 'bc-state', 'back at the client with its state')
        const token = await receiver.next(15_000)
        t.equal(receiver.tokens.length, before + 1, 'one logout token')
        const { payload, protectedHeader } = await jwtVerify(token, keys, {
          issuer,
          audience: backchannel.app.id,
          algorithms: ['RS256'],
        })
        t.equal(protectedHeader.typ, 'logout+jwt')
        t.type(payload.iat, 'number')
        t.type(payload.jti, 'string')
        t.same(payload.events, { 'http://schemas.openid.net/event/backchannel-logout': {} })
        t.equal(payload.sub, claims.sub, 'sub of the ID token')
        t.equal(payload.sid, claims.sid, 'sid of the ID token')
        t.notOk('nonce' in payload, 'no nonce')
        await checkSignedOut(t, browser)
      }),
    ],
  },
]

/** Modules of the comprehensive plan (not a certification plan) worth running too. */
const beyond: Module[] = [
  passed('oidcc-ensure-redirect-uri-in-authorization-request', async t => {
    const { url } = await authorizationUrl(twoRedirectUris)
    url.searchParams.delete('redirect_uri')
    await checkErrorPage(t, await new Browser().visit(url), /redirect_uri/)
  }),
]

for (const { plan, modules } of plans) {
  t.test(plan, async t => {
    for (const module of modules) await t.test(module.name, module.run)
  })
}
t.test('oidcc-test-plan (comprehensive, beyond certification)', async t => {
  for (const module of beyond) await t.test(module.name, module.run)
})

t.test('docs/openid-provider.md, "Certification", says what runs here', async t => {
  const doc = page('docs/openid-provider.md').text
  for (const { plan, modules } of plans) {
    const count = (outcome: Outcome) => modules.filter(m => m.outcome === outcome).length
    const row = `| \`${plan}\` | ${modules.length} | ${count('passed')} | ${count('skipped')} | ${count('not applicable')} |`
    t.ok(doc.includes(row), row)
    for (const module of modules.filter(m => m.outcome !== 'passed'))
      t.ok(doc.includes(`\`${module.name}\``), `${module.name} is listed, with why`)
  }
})
