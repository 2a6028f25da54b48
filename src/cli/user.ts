import { parseIdentity } from '../auth/identity.js'
import type { AppContext } from '../context.js'
import { errors } from '../errors.js'

/** `user delete <provider>:<id>`: deletes an account as its owner could from the sessions page. */
export async function userCommand(args: string[], ctx: AppContext, print: (line: string) => void): Promise<void> {
  const [action, who] = args
  if (action !== 'delete') throw new errors.BadRequest('usage: modular-login user delete <provider>:<provider user id>')
  const { provider, providerUserId } = parseIdentity(who)
  const user = await ctx.users.findByIdentity(provider, providerUserId)
  if (!user) throw new errors.NotFound(`no account signs in as ${provider}:${providerUserId}`)
  await ctx.accounts.delete(user.id)
  print(`deleted user ${user.id} (${user.name}): sessions revoked, memberships removed`)
}
