import { appCommand } from '../../src/cli/apps.js'

/** Runs `modular-login app <args>` on a server's context, as an operator does; answers the lines it printed. */
export async function runAppCommand(ctx: Parameters<typeof appCommand>[1], ...args: string[]): Promise<string[]> {
  const lines: string[] = []
  await appCommand(args, ctx, line => lines.push(line))
  return lines
}
