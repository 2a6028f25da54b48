import type { AppContext } from '../context.js'
import { retiredKeySeconds } from '../auth/keys.js'
import { errors } from '../errors.js'

/** `keys rotate`: sign new leases with a fresh key; the old one stays published until its leases expire. */
export async function keysCommand(args: string[], ctx: AppContext, print: (line: string) => void): Promise<void> {
  if (args[0] !== 'rotate') throw new errors.BadRequest('usage: modular-login keys rotate')
  const kid = await ctx.keys.rotate(ctx.clock.now(), retiredKeySeconds(ctx.config))
  print(`now signing with key ${kid}; every server hears of it through the database at once and tells its apps`)
}
