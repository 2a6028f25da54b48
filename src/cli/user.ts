import { findAccount } from '../auth/identity.js'
import type { AppContext } from '../context.js'
import { errors } from '../errors.js'

const USAGE = 'usage: modular-login user show|delete <user id> | <provider>:<provider user id>'

function when(seconds: number | null): string {
  return seconds === null ? 'never' : new Date(seconds * 1000).toISOString()
}

/**
 * `user show <who>`: the account and every way into it (provider
 * identities, passkeys), and its active sessions; `user delete <who>`:
 * deletes it as its owner could from the sessions page.
 */
export async function userCommand(args: string[], ctx: AppContext, print: (line: string) => void): Promise<void> {
  const [action, who] = args
  if ((action !== 'show' && action !== 'delete') || who === undefined) throw new errors.BadRequest(USAGE)
  const user = await findAccount(ctx.users, who)
  if (action === 'delete') {
    await ctx.accounts.delete(user.id)
    print(`deleted user ${user.id} (${user.name}): sessions revoked, memberships removed, passkeys removed`)
    return
  }
  print(`user ${user.id} (${user.name})`)
  for (const identity of await ctx.users.identities(user.id))
    print(`  identity ${identity.provider}:${identity.providerUserId}, linked ${when(identity.created)}`)
  for (const passkey of await ctx.passkeys.passkeys.list(user.id)) {
    const kind = passkey.backupEligible ? 'synced' : 'one device'
    print(
      `  passkey ${passkey.name} (${passkey.id}), ${kind}, added ${when(passkey.created)}, ` +
        `last used ${when(passkey.lastUsed)}`,
    )
  }
  const sessions = await ctx.sessions.list(user.id)
  print(`  ${sessions.length === 1 ? '1 active session' : `${sessions.length} active sessions`}`)
}
