import type { Clock } from '../clock.js'
import { errors } from '../errors.js'
import type { Database } from '../storage/database.js'
import type { Profile, UserStore } from '../storage/users.js'
import type { SignInMethods } from './sign-in-methods.js'

/**
 * Account linking: several provider identities reaching one account. The
 * rules: an identity belongs to one account at most, and an account keeps
 * at least one way to sign in, an identity or a passkey (or nobody could
 * sign in to it again). Each check and its write share one transaction.
 */
export class IdentityLinks {
  constructor(
    private readonly db: Database,
    private readonly users: UserStore,
    private readonly clock: Clock,
    private readonly methods: SignInMethods,
  ) {}

  /**
   * Attaches the identity to the user, with the address it vouched for;
   * when it already is theirs only that address is refreshed;
   * LOGIN_ERR_CONFLICT when it is someone else's.
   */
  link(userId: string, profile: Profile): Promise<void> {
    return this.db.transaction(async () => {
      const owner = await this.users.findByIdentity(profile.provider, profile.providerUserId)
      if (owner?.id === userId)
        return this.users.vouched(profile.provider, profile.providerUserId, profile.email ?? null)
      if (owner)
        throw new errors.Conflict(
          `This ${profile.provider} account already signs in to another account; ` +
            'sign in with it and delete that account first, or unlink it there',
        )
      await this.users.link(userId, profile.provider, profile.providerUserId, this.clock.now(), profile.email ?? null)
    })
  }

  /** Detaches one of the user's identities, unless it is their last. */
  unlink(userId: string, provider: string, providerUserId: string): Promise<void> {
    return this.db.transaction(async () => {
      const identities = await this.users.identities(userId)
      if (!identities.some(i => i.provider === provider && i.providerUserId === providerUserId)) {
        throw new errors.NotFound('No such sign-in method on your account')
      }
      await this.methods.assertNotLast(userId, `Your ${provider} account`)
      await this.users.unlink(userId, provider, providerUserId)
    })
  }
}
