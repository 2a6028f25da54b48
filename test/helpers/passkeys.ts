import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { Passkey } from '../../src/storage/passkeys.js'
import { PasskeyStore } from '../../src/storage/passkeys.js'
import type { User } from '../../src/storage/users.js'

/**
 * What the in-process tests of passkeys stand on. Nothing here signs
 * anything: a passkey that must verify is made by Chromium's virtual
 * authenticator (test/browser/passkeys*.test.ts). These seed the rows that
 * the rules about listing, renaming and removing work on, and write the
 * answers that are refused before any signature is looked at.
 */

/** A passkey row of `userId` (its key is no key: nothing verifies it). */
export async function storedPasskey(app: FastifyInstance, userId: string, fields: Partial<Passkey> = {}) {
  const passkey: Passkey = {
    id: randomUUID(),
    credentialId: randomUUID(),
    userId,
    publicKey: Buffer.from('not a key'),
    counter: 0,
    transports: ['internal'],
    backupEligible: false,
    backedUp: false,
    name: 'Passkey on Linux',
    created: app.ctx.clock.now(),
    lastUsed: null,
    ...fields,
  }
  await new PasskeyStore(app.ctx.db).insert(passkey)
  return passkey
}

/** An account made with a passkey alone (no provider identity), as a sign-up leaves it. */
export async function passkeyAccount(app: FastifyInstance, name: string): Promise<{ user: User; passkey: Passkey }> {
  const user = { id: randomUUID(), name, picture: '' }
  await app.ctx.users.insert(user, app.ctx.clock.now())
  return { user, passkey: await storedPasskey(app, user.id) }
}

/** The lease cookie (`name=value`) of a session of `user` begun with a passkey. */
export async function passkeySession(app: FastifyInstance, user: User, amr = ['user', 'hwk']): Promise<string> {
  const { token } = await app.ctx.sessions.start({ user, provider: 'passkey', amr, ip: '::1', userAgent: 'test' })
  return `${app.ctx.config.cookieName}=${token}`
}

/**
 * A browser's answer naming `challenge` in its client data, whose
 * signature and keys are nonsense: refused, at the latest, by the
 * verification itself.
 */
export function answerNaming(challenge: string, kind: 'get' | 'create', origin = 'http://localhost:8000') {
  const clientDataJSON = Buffer.from(JSON.stringify({ type: `webauthn.${kind}`, challenge, origin })).toString(
    'base64url',
  )
  const id = Buffer.from('credential').toString('base64url')
  const response =
    kind === 'get'
      ? { clientDataJSON, authenticatorData: 'AAAA', signature: 'AAAA', userHandle: 'AAAA' }
      : { clientDataJSON, attestationObject: 'AAAA', transports: ['internal'] }
  return { response: { id, rawId: id, type: 'public-key', clientExtensionResults: {}, response } }
}

/** The flow cookie (`name=value`) a response set, which binds its challenge to the browser. */
export function flowCookie(setCookie: string | string[] | number | undefined): string {
  const all = Array.isArray(setCookie) ? setCookie : [String(setCookie ?? '')]
  const found = all.find(c => /^[\w-]*-flow=/.test(c))
  if (!found) throw new Error(`no flow cookie in ${JSON.stringify(setCookie)}`)
  return found.split(';')[0]!
}
