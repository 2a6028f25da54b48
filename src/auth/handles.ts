import { randomInt } from 'node:crypto'
import { errors } from '../errors.js'
import type { UserStore } from '../storage/users.js'

/** At most this long: GitHub's limit is 39, Gitea's 40. */
export const MAX_HANDLE = 40
/** ASCII letters, digits, `-`, `_` and `.`, beginning and ending with a letter or digit: what apps that create accounts from it accept. */
const HANDLE = new RegExp(`^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,${MAX_HANDLE - 2}}[A-Za-z0-9])?$`)
/** Tries of `<base>2`, `<base>3`… before random numbers are tried instead, and of those before giving up. */
const COUNTED_TRIES = 8
const TRIES = 40

/** Why `handle` cannot be one, in words for the person typing it; null when it can. */
export function handleProblem(handle: string): string | null {
  if (HANDLE.test(handle)) return null
  return (
    `a handle is 1 to ${MAX_HANDLE} letters (a to z), digits, dots, dashes or underscores, ` +
    'beginning and ending with a letter or digit'
  )
}

/**
 * A handle made from what a provider calls the person (their login there,
 * else their name): accents dropped, spaces become dots, anything else
 * that a handle cannot hold left out; `user` when nothing is left.
 */
export function suggestHandle(source: string): string {
  const plain = source
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .trim()
    .replace(/\s+/g, '.')
    .replace(/[^A-Za-z0-9._-]/g, '')
    .replace(/[._-]{2,}/g, run => run[0]!)
    .slice(0, MAX_HANDLE)
    .replace(/^[._-]+|[._-]+$/g, '')
  return plain || 'user'
}

/** `base` with a number after it, shortened so that the whole fits. */
function numbered(base: string, n: number): string {
  const suffix = String(n)
  return `${base.slice(0, MAX_HANDLE - suffix.length).replace(/[._-]+$/, '')}${suffix}`
}

/**
 * Handles: what apps see as `preferred_username` (docs/openid-provider.md,
 * "Claims"). Unique across the site whatever their case; the database's
 * unique index decides between two people asking for one at once.
 */
export class HandleService {
  constructor(private readonly users: UserStore) {}

  /**
   * The user's handle, given one made from `source` when they have none
   * yet: the suggestion itself when free, else with a number after it.
   * Undefined for no such user.
   */
  async ensure(userId: string, source: string): Promise<string | undefined> {
    const contact = await this.users.contact(userId)
    if (!contact || contact.handle !== null) return contact?.handle ?? undefined
    const base = suggestHandle(source)
    for (let n = 1; n <= TRIES; n++) {
      const candidate = n === 1 ? base : numbered(base, n <= COUNTED_TRIES ? n : randomInt(10, 1_000_000))
      if ((await this.users.handleOwner(candidate)) !== undefined) continue
      if (await this.users.setHandle(userId, candidate, true)) return candidate
      // Taken in between, or this user was given one meanwhile (another sign-in of theirs), or deleted.
      const now = await this.users.contact(userId)
      if (now?.handle !== null) return now?.handle ?? undefined
    }
    // Left without one, the person picks one on the sessions page; apps get no preferred_username until then.
    return undefined
  }

  /** Gives the user the handle they chose; LOGIN_ERR_BAD_REQUEST for one that cannot be, LOGIN_ERR_CONFLICT when it is taken. */
  async choose(userId: string, handle: string): Promise<string> {
    const problem = handleProblem(handle)
    if (problem) throw new errors.BadRequest(problem)
    if (!(await this.users.setHandle(userId, handle))) {
      if ((await this.users.contact(userId)) === undefined) throw new errors.NotFound('No such account')
      throw new errors.Conflict(`The handle ${handle} is taken; choose another`)
    }
    return handle
  }
}
