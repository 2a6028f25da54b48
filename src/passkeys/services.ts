import { SignInMethods } from '../auth/sign-in-methods.js'
import type { Clock } from '../clock.js'
import type { Config } from '../config.js'
import type { Acceptance, InvitationService } from '../groups/invitations.js'
import type { Database } from '../storage/database.js'
import { PasskeyChallengeStore } from '../storage/passkey-challenges.js'
import { PasskeyStore } from '../storage/passkeys.js'
import type { UserStore } from '../storage/users.js'
import { CHALLENGE_SECONDS, PasskeyChallenges } from './challenges.js'
import { PasskeyService, type PasskeyDeps } from './passkeys.js'
import { RelyingParty } from './relying-party.js'
import { PasskeySignUp } from './sign-up.js'

/** The passkey area's services, as the app context holds them. */
export interface PasskeyServices {
  passkeys: PasskeyService
  signUp: PasskeySignUp
  /** Every way into an account (identities and passkeys): never the last one removed. */
  methods: SignInMethods
}

export interface PasskeyServiceOptions {
  db: Database
  clock: Clock
  config: Config
  users: UserStore
  invitations: InvitationService
  countAcceptance?: (accept: () => Promise<Acceptance>) => Promise<Acceptance>
}

export function createPasskeyServices(options: PasskeyServiceOptions): PasskeyServices {
  const store = new PasskeyStore(options.db)
  const deps: PasskeyDeps = {
    db: options.db,
    clock: options.clock,
    users: options.users,
    store,
    challenges: new PasskeyChallenges(new PasskeyChallengeStore(options.db), options.clock),
    rp: new RelyingParty(options.config, CHALLENGE_SECONDS * 1000),
    methods: new SignInMethods(options.users, store),
  }
  const passkeys = new PasskeyService(deps)
  return {
    passkeys,
    signUp: new PasskeySignUp(
      deps,
      passkeys,
      options.invitations,
      options.config.passkeySignup,
      options.countAcceptance,
    ),
    methods: deps.methods,
  }
}
