/**
 * The OpenID provider of bench/nodes.ts and bench/sizing.ts, in a process of
 * its own so that its RSA signatures do not share a thread with the load
 * generator: a real `oauth2-mock-server` on loopback, as the tests use
 * (test/helpers/oauth.ts), that signs in whoever the browser names.
 *
 * The mock signs every user in as `johndoe`; a bench needs many distinct
 * users, so the browser adds `login_hint=<name>` to the authorization URL the
 * login server sent it, and the ID token issued for that code says
 * `sub: <name>` with a name and picture (so the login server has no need of
 * the userinfo endpoint).
 *
 * Tells the parent `{ issuer }` over IPC once it listens.
 */
import type { MutableRedirectUri, MutableToken } from 'oauth2-mock-server'
import { startMockIssuer } from '../test/helpers/oauth.js'
import { exitWithParent } from './support.js'

export interface MockIssuerReady {
  issuer: string
}

// Stopped by exitWithParent below, rather than by a test's teardown.
const server = await startMockIssuer({ teardown() {} })

/** code → the user its authorization named; taken when the code is exchanged. */
const users = new Map<string, string>()

server.service.on(
  'beforeAuthorizeRedirect',
  (redirect: MutableRedirectUri, request: { query: Record<string, unknown> }) => {
    const hint = request.query.login_hint
    const code = redirect.url.searchParams.get('code')
    if (typeof hint === 'string' && code) users.set(code, hint)
  },
)
server.service.on('beforeTokenSigning', (token: MutableToken, request: { body: Record<string, unknown> }) => {
  const code = request.body.code
  const user = typeof code === 'string' ? users.get(code) : undefined
  if (user === undefined) return
  token.payload.sub = user
  // Access tokens carry no `aud`; the ID token, issued after them, is the last to need the name.
  if ('aud' in token.payload) {
    Object.assign(token.payload, { name: user, picture: '' })
    users.delete(code as string)
  }
})

process.send!({ issuer: server.issuer.url! } satisfies MockIssuerReady)
exitWithParent(() => server.stop())
