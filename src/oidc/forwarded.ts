import type { IncomingMessage } from 'node:http'
import type { SignedIn } from '../signed-in/signed-in.js'

/** What the Fastify side learnt of a request before handing it to oidc-provider. */
export interface Forwarded {
  /** The browser's login session, from its lease cookie (null when signed out); resolved for the session-bound endpoints only. */
  signedIn: SignedIn | null
  /** The client's address, as this server tells it (`LOGIN_TRUST_PROXY`). */
  ip: string
}

const forwarded = new WeakMap<IncomingMessage, Forwarded>()

export function rememberForwarded(request: IncomingMessage, state: Forwarded): void {
  forwarded.set(request, state)
}

/** The browser's login session behind a request oidc-provider is handling; null when signed out or unknown. */
export function signedInOf(request: IncomingMessage): SignedIn | null {
  return forwarded.get(request)?.signedIn ?? null
}

/** The client's address behind a request oidc-provider is handling; null when unknown. */
export function ipOf(request: IncomingMessage): string | null {
  return forwarded.get(request)?.ip ?? null
}
