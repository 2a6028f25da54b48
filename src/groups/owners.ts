import { errors } from '../errors.js'
import type { Membership } from '../storage/memberships.js'
import type { GroupDeps } from './group-deps.js'
import { ancestorPaths } from './group-paths.js'

/**
 * Owners are protected (docs/access-groups.md, "Who may remove whom"): an owner's
 * membership is removed only by another owner of the group or one above
 * it, by the administrator, or by an app that manages the namespace, and
 * never when it is the last owner left.
 */

/** Whether the user owns the group at `path` or one above it. */
export async function ownsOver(deps: GroupDeps, userId: string, path: string, now: number): Promise<boolean> {
  return (await deps.memberships.owners(ancestorPaths(path), now)).some(m => m.userId === userId)
}

/** `LOGIN_ERR_CONFLICT` when ending all of `targets` together would leave a group without an owner. */
export async function assertOwnersRemain(deps: GroupDeps, targets: readonly Membership[], now: number): Promise<void> {
  const ending = new Set(targets.map(m => m.id))
  for (const target of targets) {
    if (!target.owner) continue
    const others = (await deps.memberships.owners(ancestorPaths(target.path), now)).filter(m => !ending.has(m.id))
    if (others.length === 0) {
      throw new errors.Conflict(
        `That would leave ${target.path} without an owner; add another owner first ` +
          `(modular-login group create ${target.path} --owner <provider>:<id> --add-owner)`,
      )
    }
  }
}
