import { errors } from '../errors.js'
import type { PasskeyStore } from '../storage/passkeys.js'
import type { UserStore } from '../storage/users.js'

/**
 * The ways into an account: the provider identities linked to it and its
 * passkeys. An account keeps at least one, or nobody could sign in to it
 * again (docs/passkeys.md, "The last way in").
 */
export class SignInMethods {
  constructor(
    private readonly users: UserStore,
    private readonly passkeys: PasskeyStore,
  ) {}

  async count(userId: string): Promise<number> {
    return (await this.users.identities(userId)).length + (await this.passkeys.countOf(userId))
  }

  /**
   * LOGIN_ERR_CONFLICT unless the account has a way in besides the one
   * about to be removed (`what`, as the person knows it). Call inside the
   * removal's transaction, so that two removals cannot both pass.
   */
  async assertNotLast(userId: string, what: string): Promise<void> {
    if ((await this.count(userId)) <= 1)
      throw new errors.Conflict(
        `${what} is your only way to sign in: add a passkey or link a provider before removing it`,
      )
  }
}
