import type { FastifyReply, FastifyRequest } from 'fastify'
import type { InteractionResults, Provider } from 'oidc-provider'
import { currentUser } from '../signed-in/current-user.js'
import { errors } from '../errors.js'
import { renderPage } from '../http/views.js'
import type { AppService } from '../apps/apps.js'
import type { SignInOf } from './sign-in-of.js'

type InteractionRequest = FastifyRequest<{ Params: { uid: string } }>

/** Why oidc-provider asks for a sign-in that the person must make again, although signed in here. */
const PROVE_AGAIN = new Set(['login_prompt', 'max_age'])

/**
 * Whether the person proved who they are since the OpenID Provider's
 * session last recorded a sign-in: its `loginTs` is the `auth_time` apps
 * were told, and the login session's time moves on when the same person
 * signs in again (src/auth/sign-in.ts).
 */
async function provedAgain(provider: Provider, sid: string, authenticated: number | undefined): Promise<boolean> {
  const mirror = await provider.Session.findByUid(sid)
  return mirror?.loginTs === undefined || (authenticated ?? 0) > mirror.loginTs
}

/**
 * `GET /login/oidc/interaction/<uid>`: the step oidc-provider hands an
 * authorization request to when it needs the user. Nothing is asked here:
 * a signed-out browser goes through the normal sign-in page and comes back;
 * a signed-in one is sent straight on (sign-in and consent are implied),
 * unless the app asked for a fresh sign-in (`prompt=login`, or `max_age`
 * passed), which the sign-in page then asks for; someone outside the
 * client's `--require` gets a page saying why, whose link takes them back
 * to the client with `error=access_denied`.
 */
export function interactionHandler(provider: () => Provider, apps: AppService, signInOf: SignInOf) {
  return async (request: InteractionRequest, reply: FastifyReply) => {
    const oidc = provider()
    const details = await oidc.interactionDetails(request.raw, reply.raw).catch(() => undefined)
    if (!details || details.uid !== request.params.uid) {
      throw new errors.OidcRequest('this sign-in has expired or was already used; go back to the app and sign in again')
    }
    const signedIn = await currentUser(request, reply)
    if (!signedIn) return reply.redirect(`/login?next=${encodeURIComponent(request.url)}`)

    let result: InteractionResults
    switch (details.prompt.name) {
      case 'login': {
        const reasons = details.prompt.reasons
        if (reasons.includes('id_token_hint')) {
          // Signed in as someone else than the app expects: that person is not signed in here (Core §3.1.2.6).
          result = { error: 'login_required', error_description: 'the user the ID token hint names is not signed in' }
          break
        }
        const facts = await signInOf(signedIn)
        if (reasons.some(reason => PROVE_AGAIN.has(reason)) && !(await provedAgain(oidc, signedIn.sid, facts.ts)))
          return reply.redirect(`/login?prompt=login&next=${encodeURIComponent(request.url)}`)
        result = { login: { accountId: signedIn.user.id, ...facts } }
        break
      }
      case 'consent':
        result = { consent: { grantId: details.grantId } }
        break
      case 'membership': {
        const app = await apps.client(String(details.params.client_id))
        const requirement = app?.oidc?.require ?? ''
        // The app hears only that it was refused: which groups it requires stays on this side.
        const returnTo = await oidc.interactionResult(request.raw, reply.raw, {
          error: 'access_denied',
          error_description: 'the user is not a member of the group this app admits',
        })
        const refusal = new errors.Forbidden(`not a member of ${requirement}`)
        return renderPage(
          request,
          reply,
          'oidc-refused',
          { title: 'Not a member', app: app?.name, requirement, returnTo, code: refusal.code },
          403,
        )
      }
      default:
        throw new errors.OidcRequest(`nothing here can answer the prompt ${details.prompt.name}`)
    }
    const returnTo = await oidc.interactionResult(request.raw, reply.raw, result, { mergeWithLastSubmission: false })
    return reply.redirect(returnTo, 303)
  }
}
