import { randomUUID } from 'node:crypto'
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server'
import type { SignInMethods } from '../auth/sign-in-methods.js'
import type { Clock } from '../clock.js'
import { errors } from '../errors.js'
import type { Database } from '../storage/database.js'
import type { Passkey, PasskeyStore } from '../storage/passkeys.js'
import type { User, UserStore } from '../storage/users.js'
import type { PasskeyChallenges } from './challenges.js'
import { type NewCredential, type RelyingParty, userIdOfHandle } from './relying-party.js'

/** What the passkey services work with. */
export interface PasskeyDeps {
  db: Database
  clock: Clock
  users: UserStore
  store: PasskeyStore
  challenges: PasskeyChallenges
  rp: RelyingParty
  methods: SignInMethods
}

/** A passkey sign-in that verified. */
export interface PasskeySignIn {
  user: User
  passkey: Passkey
  /** Where the browser goes now (validated when the challenge was made). */
  next: string
  /** What OpenID Connect's `amr` says of it (RFC 8176). */
  amr: string[]
}

/**
 * RFC 8176's words for a passkey sign-in: the person was there (`user`,
 * and verified, which every passkey here requires), with a key that may be
 * synced between devices (`swk`, software-secured) or one that stays in
 * its device (`hwk`).
 */
export function amrOf(passkey: Pick<Passkey, 'backupEligible'>): string[] {
  return ['user', passkey.backupEligible ? 'swk' : 'hwk']
}

/** A stored passkey made from a verified registration. */
export function passkeyFrom(credential: NewCredential, userId: string, name: string, now: number): Passkey {
  return { id: randomUUID(), ...credential, userId, name, created: now, lastUsed: null }
}

/**
 * Passkeys of existing accounts (docs/passkeys.md, "Adding a passkey" and "Signing in with a passkey"): adding one to the
 * signed-in account, signing in with one, and listing, renaming and
 * removing them. Every ceremony is two steps: options with a challenge,
 * then the browser's answer to it.
 */
export class PasskeyService {
  constructor(private readonly deps: PasskeyDeps) {}

  /** Options to add a passkey to `user`'s account, from `browser`. */
  async addOptions(user: User, browser: string): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const options = await this.deps.rp.creationOptions(user, await this.deps.store.ofUser(user.id))
    await this.deps.challenges.issue(options.challenge, browser, 'add', user.id, {})
    return options
  }

  /**
   * Adds the passkey the browser made to `userId`'s account, named
   * `name`. LOGIN_ERR_PASSKEY when it does not verify or was asked for by
   * another account; LOGIN_ERR_CONFLICT when the passkey is already known.
   */
  async add(
    userId: string,
    browser: string | null,
    response: RegistrationResponseJSON,
    name: string,
  ): Promise<Passkey> {
    const pending = await this.deps.challenges.take(response, browser, 'add')
    if (pending.userId !== userId) throw new errors.Passkey('it was asked for while signed in to another account')
    const credential = await this.deps.rp.verifyCreation(response, pending.challenge)
    const passkey = passkeyFrom(credential, userId, name, this.deps.clock.now())
    await this.store(passkey)
    return passkey
  }

  /**
   * Stores a new passkey, within the caller's transaction when there is
   * one; LOGIN_ERR_CONFLICT when its credential id is already an
   * account's (an authenticator makes a new id for every passkey, so this
   * is a registration answer sent again).
   */
  async store(passkey: Passkey): Promise<void> {
    await this.deps.db.transaction(async () => {
      if (await this.deps.store.byCredentialId(passkey.credentialId))
        throw new errors.Conflict('This passkey is already registered')
      await this.deps.store.insert(passkey)
    })
  }

  /** Options to sign in with any passkey of this site, from `browser`, going to `next` (validated) afterwards. */
  async signInOptions(browser: string, next: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const options = await this.deps.rp.requestOptions()
    await this.deps.challenges.issue(options.challenge, browser, 'sign-in', null, { next })
    return options
  }

  /**
   * Verifies a passkey sign-in: the challenge is this browser's and fresh,
   * the passkey is known, the user handle the authenticator keeps names
   * the account the passkey belongs to, the signature verifies, and the
   * counter went up (where the authenticator keeps one).
   */
  async signIn(browser: string | null, response: AuthenticationResponseJSON): Promise<PasskeySignIn> {
    const pending = await this.deps.challenges.take(response, browser, 'sign-in')
    if (response.id !== response.rawId) throw new errors.Passkey('the credential id is given twice, differently')
    const passkey = await this.deps.store.byCredentialId(response.rawId)
    if (!passkey) throw new errors.Passkey('this passkey is not registered here (was it removed?)')
    const handle = response.response.userHandle
    if (handle === undefined || userIdOfHandle(handle) !== passkey.userId)
      throw new errors.Passkey('this passkey belongs to another account than the one it names')
    const seen = await this.deps.rp.verifyRequest(response, pending.challenge, passkey)
    const now = this.deps.clock.now()
    if (!(await this.deps.store.used(passkey.id, { ...seen, now })))
      throw new errors.Passkey('its signature counter did not go up: the passkey may have been copied')
    const user = await this.deps.users.get(passkey.userId)
    if (!user) throw new errors.Passkey('the account of this passkey was deleted')
    const { next } = JSON.parse(pending.detail) as { next: string }
    return { user, passkey: { ...passkey, ...seen, lastUsed: now }, next, amr: amrOf(passkey) }
  }

  list(userId: string): Promise<Passkey[]> {
    return this.deps.store.ofUser(userId)
  }

  /** One of the account's passkeys; LOGIN_ERR_NOT_FOUND when it is none of theirs. */
  async get(userId: string, id: string): Promise<Passkey> {
    const passkey = await this.deps.store.owned(userId, id)
    if (!passkey) throw new errors.NotFound('No such passkey of yours')
    return passkey
  }

  /** Renames one of the account's passkeys (the name already checked). */
  async rename(userId: string, id: string, name: string): Promise<Passkey> {
    if (!(await this.deps.store.rename(userId, id, name))) throw new errors.NotFound('No such passkey of yours')
    return this.get(userId, id)
  }

  /** Removes every passkey of an account being deleted (a step of its deletion transaction). */
  removeAllOf(userId: string): Promise<void> {
    return this.deps.store.removeAllOf(userId)
  }

  /** Removes one of the account's passkeys, unless it is the account's last way to sign in (LOGIN_ERR_CONFLICT). */
  remove(userId: string, id: string): Promise<Passkey> {
    return this.deps.db.transaction(async () => {
      const passkey = await this.get(userId, id)
      await this.deps.methods.assertNotLast(userId, `The passkey "${passkey.name}"`)
      await this.deps.store.remove(userId, id)
      return passkey
    })
  }
}
