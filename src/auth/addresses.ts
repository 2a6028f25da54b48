import { errors } from '../errors.js'
import type { Contact, UserStore } from '../storage/users.js'

/**
 * The address apps see (docs/openid-provider.md, "Claims"): the one the
 * person picked, else the first their sign-in methods vouched for; null
 * when none did, and then apps get no address at all.
 */
export function addressAppsSee(contact: Contact): string | null {
  return contact.picked ?? contact.addresses[0] ?? null
}

/** Which of a person's vouched addresses apps see. */
export class AddressService {
  constructor(private readonly users: UserStore) {}

  /** Picks the address apps see; it must be one that a sign-in method of theirs vouched for. */
  async pick(userId: string, address: string): Promise<void> {
    const contact = await this.users.contact(userId)
    if (!contact) throw new errors.NotFound('No such account')
    if (!contact.addresses.includes(address)) {
      throw new errors.BadRequest('apps may only see an address that one of your sign-in methods vouched for')
    }
    await this.users.pickEmail(userId, address)
  }
}
