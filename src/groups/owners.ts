import { errors } from '../errors.js'
import type { Membership } from '../storage/memberships.js'
import type { GroupEnv } from './env.js'
import { ancestorPaths } from './paths.js'

/**
 * Owners are protected (README, "Who may remove whom"): an owner's
 * membership is removed only by another owner of the group or one above
 * it, by the administrator, or by an app that manages the namespace, and
 * never when it is the last owner left.
 */

/** Whether the user owns the group at `path` or one above it. */
export function ownsOver(env: GroupEnv, userId: string, path: string, now: number): boolean {
  return env.memberships.owners(ancestorPaths(path), now).some(m => m.userId === userId)
}

/** `LOGIN_ERR_CONFLICT` when ending all of `targets` together would leave a group without an owner. */
export function assertOwnersRemain(env: GroupEnv, targets: readonly Membership[], now: number): void {
  const ending = new Set(targets.map(m => m.id))
  for (const target of targets) {
    if (!target.owner) continue
    const others = env.memberships.owners(ancestorPaths(target.path), now).filter(m => !ending.has(m.id))
    if (others.length === 0) {
      throw new errors.Conflict(
        `That would leave ${target.path} without an owner; add another owner first ` +
          `(modular-login group create ${target.path} --owner <provider>:<id> --add-owner)`,
      )
    }
  }
}
