import { createHash, randomBytes } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Clock } from '../clock.js'
import type { Config } from '../config.js'
import { errors } from '../errors.js'
import type { OAuthFlowStore } from '../storage/oauth-flows.js'
import { bindBrowser, boundBrowser } from './flow-cookie.js'
import type { OAuthProvider } from './providers/oauth-provider.js'
import type { ProviderProfile } from './providers/profile-fields.js'
import { validateNext } from '../redirects.js'

/** How long a person may spend at the provider before the flow is forgotten. */
export const FLOW_SECONDS = 600
const CONTROL = /[\p{Cc}\p{Cf}]/gu

/** Why a flow starts: a sign-in, or linking a provider to a signed-in account. */
export interface FlowIntent {
  /** Already validated. */
  next: string
  linkUser: string | null
}

/** A flow that came back with a verified person. */
export interface FinishedFlow {
  profile: ProviderProfile
  /** Validated again: the policy may have changed while the user was away. */
  next: string
  linkUser: string | null
}

export type CallbackQuery = Record<string, string | string[] | undefined>

function random(bytes: number): string {
  return randomBytes(bytes).toString('base64url')
}

/** A query parameter given exactly once, or undefined; a repeated one is refused rather than guessed at. */
function single(query: CallbackQuery, name: string): string | undefined {
  const value = query[name]
  if (Array.isArray(value)) throw new errors.OAuthState(`${name} appears more than once`)
  return value === '' ? undefined : value
}

/** Provider-sent text, shortened and stripped of control characters before it reaches a page or a log. */
function shown(text: string | undefined): string {
  return (text ?? '').replace(CONTROL, '').slice(0, 200)
}

/**
 * The authorization-code flow around any provider: `begin` records a
 * single-use pending flow (state, PKCE verifier, nonce, next, link target)
 * bound to this browser and answers where to send it; `finish` takes that
 * flow back on the callback, exchanges the code and answers who signed in.
 * Nothing here touches sessions: a failure leaves the browser as it was.
 */
export class OAuthFlows {
  constructor(
    private readonly store: OAuthFlowStore,
    private readonly clock: Clock,
    private readonly config: Config,
  ) {}

  async begin(
    request: FastifyRequest,
    reply: FastifyReply,
    provider: OAuthProvider,
    intent: FlowIntent,
  ): Promise<string> {
    const now = this.clock.now()
    await this.store.purgeExpired(now)
    const state = random(32)
    const verifier = random(32)
    const nonce = random(16)
    await this.store.create({
      state,
      browser: bindBrowser(request, reply, this.config, FLOW_SECONDS),
      provider: provider.id,
      verifier,
      nonce,
      next: intent.next,
      linkUser: intent.linkUser,
      expires: now + FLOW_SECONDS,
    })
    const challenge = createHash('sha256').update(verifier).digest('base64url')
    return provider.authorizationUrl({ state, challenge, nonce })
  }

  async finish(
    request: FastifyRequest<{ Querystring: CallbackQuery }>,
    provider: OAuthProvider,
  ): Promise<FinishedFlow> {
    const { query } = request
    const state = single(query, 'state')
    if (state === undefined) throw new errors.OAuthState('the provider sent no state')
    const browser = boundBrowser(request, this.config)
    if (browser === null) throw new errors.OAuthState('this browser has no sign-in under way (were cookies blocked?)')
    const flow = await this.store.take(state, browser, provider.id)
    if (!flow) throw new errors.OAuthState('it is unknown, was already used, or was started in another browser')
    if (flow.expires <= this.clock.now())
      throw new errors.OAuthState(`it took more than ${FLOW_SECONDS / 60} minutes; please sign in again`)
    const next = validateNext(flow.next, { site: this.config.site, allowedHosts: this.config.allowedRedirectHosts })

    const error = single(query, 'error')
    if (error !== undefined) {
      const description = shown(single(query, 'error_description'))
      if (error === 'access_denied')
        throw new errors.AccessDenied(description || `you did not allow ${provider.label} to share your profile`)
      throw new errors.Provider(`${provider.label} answered ${shown(error)}${description ? `: ${description}` : ''}`)
    }
    const code = single(query, 'code')
    if (code === undefined) throw new errors.Provider(`${provider.label} sent no authorization code`)

    const tokens = await provider.exchange(code, flow.verifier)
    const profile = await provider.profile(tokens, flow.nonce)
    return { profile, next, linkUser: flow.linkUser }
  }
}
