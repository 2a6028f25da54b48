import { buildApp } from '../app.js'
import { loadConfig } from '../config.js'
import type { AppContext } from '../context.js'
import { isLoginError } from '../errors.js'
import { serve } from '../main.js'
import { groupCommand } from '../groups/cli.js'
import { appCommand } from '../realtime/cli.js'
import { keysCommand } from './keys.js'
import { userCommand } from './user.js'

type Command = (args: string[], ctx: AppContext, print: (line: string) => void) => Promise<void>

const commands: Record<string, { usage: string; summary: string; run: Command }> = {
  user: { usage: 'user delete <provider>:<id>', summary: 'delete an account', run: userCommand },
  group: {
    usage: 'group create <path> --owner <provider>:<id>',
    summary: 'create a namespace with its owner',
    run: groupCommand,
  },
  app: {
    usage: 'app add <name> [--redirect-uri <url> …] | app list | app remove <name>',
    summary: 'register (as OpenID Connect clients too), list or remove client applications',
    run: appCommand,
  },
  keys: { usage: 'keys rotate', summary: 'start signing leases with a new key', run: keysCommand },
}

const USAGE = `usage: modular-login <command>

  ${'serve'.padEnd(46)}run the server (configuration from LOGIN_* variables)
${Object.values(commands)
  .map(c => `  ${c.usage.padEnd(46)}${c.summary}`)
  .join('\n')}

The CLI reads the same configuration as the server (LOGIN_RUN_DIR, LOGIN_CONFIG, ...).`

/** Runs one CLI command and answers the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv
  if (name === 'serve') {
    await serve()
    return 0
  }
  const command = name ? commands[name] : undefined
  if (!command) {
    process.stdout.write(`${USAGE}\n`)
    return name && !['help', '--help', '-h'].includes(name) ? 2 : 0
  }
  try {
    const app = await buildApp(loadConfig(), { logger: false })
    try {
      await command.run(args, app.ctx, line => process.stdout.write(`${line}\n`))
    } finally {
      await app.close()
    }
    return 0
  } catch (error) {
    if (!isLoginError(error)) throw error
    process.stderr.write(`modular-login: ${error.message}\n`)
    return error.statusCode === 500 ? 2 : 1
  }
}
