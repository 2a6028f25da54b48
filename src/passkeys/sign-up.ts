import { randomUUID } from 'node:crypto'
import type { PublicKeyCredentialCreationOptionsJSON, RegistrationResponseJSON } from '@simplewebauthn/server'
import type { PasskeySignup } from '../config.js'
import { errors } from '../errors.js'
import type { Acceptance, InvitationService } from '../groups/invitations.js'
import type { Passkey } from '../storage/passkeys.js'
import type { User } from '../storage/users.js'
import { amrOf, passkeyFrom, type PasskeyDeps, type PasskeyService } from './passkeys.js'

/** What a person asks for when they create an account with a passkey. */
export interface SignUpRequest {
  /** The name others will see (already checked). */
  name: string
  /** The invitation (id or short code) the account joins through; null for an open sign-up. */
  invitation: string | null
  /** Where an open sign-up goes afterwards (validated); an invitation goes where it says. */
  next: string
}

/** An account made with a passkey, signed in and, through an invitation, joined. */
export interface SignedUp {
  user: User
  passkey: Passkey
  /** The invitation accepted (null for an open sign-up). */
  acceptance: Acceptance | null
  /** The open sign-up's `next` (an acceptance says where to go itself). */
  next: string
  amr: string[]
}

/** What the challenge of a sign-up keeps until the passkey comes back. */
interface SignUpDetail {
  name: string
  invitation: string | null
  next: string
}

/**
 * Accounts made with nothing but a passkey (docs/passkeys.md, "Joining from an invitation with a passkey"): through
 * an invitation (`LOGIN_PASSKEY_SIGNUP=invited`, the default), or from
 * `/login` too (`open`). The account, its passkey and the acceptance of the
 * invitation are one transaction: an acceptance the invitation's rules
 * refuse leaves no account behind and consumes nothing.
 */
export class PasskeySignUp {
  constructor(
    private readonly deps: PasskeyDeps,
    private readonly passkeys: PasskeyService,
    private readonly invitations: InvitationService,
    private readonly setting: PasskeySignup,
    /** Runs an acceptance, counting it (the metrics' `invitationAcceptance`). */
    private readonly counted: (accept: () => Promise<Acceptance>) => Promise<Acceptance> = accept => accept(),
  ) {}

  /** Whether this site lets people without an account create one with a passkey, and how. */
  get allowed(): PasskeySignup {
    return this.setting
  }

  /**
   * Options to create an account named `request.name`, from `browser`.
   * Refused at once when the setting does not allow it or the invitation
   * cannot be accepted now, before any passkey is made.
   */
  async options(browser: string, request: SignUpRequest): Promise<PublicKeyCredentialCreationOptionsJSON> {
    this.assertAllowed(request.invitation)
    if (request.invitation !== null) {
      const link = await this.invitations.describe(request.invitation, null)
      if (link.closed !== null)
        throw new errors.InvitationGone(`This invitation can no longer be accepted: ${link.closed}`)
    }
    const userId = randomUUID()
    const options = await this.deps.rp.creationOptions({ id: userId, name: request.name }, [])
    const detail: SignUpDetail = { name: request.name, invitation: request.invitation, next: request.next }
    await this.deps.challenges.issue(options.challenge, browser, 'sign-up', userId, detail)
    return options
  }

  /**
   * Creates the account the browser made a passkey for, with the passkey
   * (`passkeyName`) and, through its invitation, the memberships: all of
   * it, or nothing (LOGIN_ERR_INVITATION_GONE, LOGIN_ERR_INVITATION_LIMIT,
   * ... as any acceptance answers them).
   */
  async complete(browser: string | null, response: RegistrationResponseJSON, passkeyName: string): Promise<SignedUp> {
    const pending = await this.deps.challenges.take(response, browser, 'sign-up')
    const detail = JSON.parse(pending.detail) as SignUpDetail
    // The setting may have changed since the challenge was made.
    this.assertAllowed(detail.invitation)
    const credential = await this.deps.rp.verifyCreation(response, pending.challenge)
    const user: User = { id: pending.userId!, name: detail.name, picture: '' }
    const passkey = passkeyFrom(credential, user.id, passkeyName, this.deps.clock.now())
    const acceptance = await this.createAccount(user, passkey, detail.invitation)
    return { user, passkey, acceptance, next: detail.next, amr: amrOf(passkey) }
  }

  /**
   * The account, the acceptance of `invitation` (when there is one) and
   * its verified passkey, in one transaction: whatever either refuses
   * leaves no account, no passkey and no place taken.
   */
  createAccount(user: User, passkey: Passkey, invitation: string | null): Promise<Acceptance | null> {
    return this.deps.db.transaction(async () => {
      await this.deps.users.insert(user, passkey.created)
      const acceptance =
        invitation === null ? null : await this.counted(() => this.invitations.accept(user.id, invitation))
      await this.passkeys.store(passkey)
      return acceptance
    })
  }

  private assertAllowed(invitation: string | null): void {
    if (this.setting === 'off')
      throw new errors.Forbidden('This site does not create accounts with passkeys: sign in with a provider')
    if (invitation === null && this.setting !== 'open')
      throw new errors.Forbidden('This site creates accounts with a passkey only from an invitation')
  }
}
