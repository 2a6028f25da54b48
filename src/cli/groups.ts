import { errors } from '../errors.js'
import { isUserId, parseIdentity } from '../auth/identity.js'
import { ADMIN } from '../groups/actor.js'
import type { GroupServices } from '../groups/services.js'
import type { NamespaceResult } from '../groups/tree.js'

const USAGE = 'usage: modular-login group create <path> --owner <provider>:<provider user id> | <user id> [--add-owner]'

/**
 * `group create <path> --owner <provider>:<id>`: creates the namespace (and
 * any missing groups of the path) with its owner, who need not have signed
 * in yet; `--owner <user id>` names an account that exists (one made with a
 * passkey has no other name). Idempotent: running it again reports that nothing changed. A
 * group someone else owns gets another owner only with `--add-owner`.
 */
export async function groupCommand(
  args: string[],
  ctx: { groups: Pick<GroupServices, 'tree'> },
  print: (line: string) => void,
): Promise<void> {
  const [action, path, ...rest] = args
  if (action !== 'create' || path === undefined || path.startsWith('-')) throw new errors.BadRequest(USAGE)
  let owner: string | undefined
  let addOwner = false
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!
    if (arg === '--owner') owner = rest[++i]
    else if (arg === '--add-owner') addOwner = true
    else if (arg.startsWith('--owner=')) owner = arg.slice('--owner='.length)
    else throw new errors.BadRequest(`unknown argument ${JSON.stringify(arg)}; ${USAGE}`)
  }
  if (owner === undefined) throw new errors.BadRequest(`--owner is required; ${USAGE}`)
  let result: NamespaceResult
  let who: string
  if (isUserId(owner)) {
    result = await ctx.groups.tree.ensureNamespaceOwnedBy(path, owner.toLowerCase(), ADMIN, { addOwner })
    who = `${result.owner.name} (user ${result.owner.id})`
  } else {
    const { provider, providerUserId } = parseIdentity(owner)
    result = await ctx.groups.tree.ensureNamespace(path, provider, providerUserId, ADMIN, { addOwner })
    who = `${provider}:${providerUserId} (user ${result.owner.id})`
  }
  for (const created of result.createdGroups) print(`created group ${created}`)
  print(
    result.createdMembership
      ? `${who} now owns ${result.group.path} (group ${result.group.id}, membership ${result.membership.id})`
      : `${who} already owns ${result.group.path} (group ${result.group.id}); nothing changed`,
  )
}
