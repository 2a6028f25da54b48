import { existsSync } from 'node:fs'
import pino from 'pino'
import { systemClock } from '../clock.js'
import { loadConfig } from '../config.js'
import { createContext, type AppContext } from '../context.js'
import { sqlitePath } from '../storage/open.js'
import { errors, isLoginError } from '../errors.js'

type Command = (args: string[], ctx: AppContext, print: (line: string) => void) => Promise<void>

/**
 * Each command's module is imported when that command runs, and the server's (`serve`) only for `serve`: a
 * command then starts in a third of the time the whole server's import takes (its web framework, the OpenID
 * Provider), which every operator's `npx modular-login …` would otherwise wait for.
 */
const commands: Record<string, { usage: string; summary: string; load: () => Promise<Command> }> = {
  user: {
    usage: 'user show|delete <user id> | <provider>:<id>',
    summary: 'show an account (its identities, passkeys, sessions) or delete it',
    load: async () => (await import('./user.js')).userCommand,
  },
  group: {
    usage: 'group create <path> --owner <provider>:<id> | <user id>',
    summary: 'create a namespace with its owner',
    load: async () => (await import('./groups.js')).groupCommand,
  },
  app: {
    usage: 'app add|list|allow|deny|channel|remove …',
    summary: 'register client applications (OpenID Connect clients too), their namespaces, list or remove them',
    load: async () => (await import('./apps.js')).appCommand,
  },
  keys: {
    usage: 'keys rotate',
    summary: 'start signing leases with a new key',
    load: async () => (await import('./keys.js')).keysCommand,
  },
  rule: {
    usage: 'rule add|list|move|remove|test|export|import|log',
    summary: 'the access rules of /login/check (`rule help` for the details)',
    load: async () => (await import('./rules.js')).ruleCommand,
  },
}

const WIDTH = Math.max(...Object.values(commands).map(c => c.usage.length)) + 2

const USAGE = `usage: modular-login <command> [--create]

  ${'serve'.padEnd(WIDTH)}run the server (configuration from LOGIN_* variables)
${Object.values(commands)
  .map(c => `  ${c.usage.padEnd(WIDTH)}${c.summary}`)
  .join('\n')}

The CLI reads the same configuration as the server (LOGIN_RUN_DIR, LOGIN_CONFIG, ...) and
says which database it opened. It refuses to start a new one unless given --create.`

/** Runs one CLI command and answers the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const create = argv.includes('--create')
  const [name, ...args] = argv.filter(arg => arg !== '--create')
  if (name === 'serve') {
    await (await import('../main.js')).serve()
    return 0
  }
  const command = name ? commands[name] : undefined
  if (!command) {
    if (!name || ['help', '--help', '-h'].includes(name)) {
      process.stdout.write(`${USAGE}\n`)
      return 0
    }
    process.stderr.write(`modular-login: unknown command ${JSON.stringify(name)}\n\n${USAGE}\n`)
    return 2
  }
  try {
    // The CLI writes into the same run/ as the server: its files are private too.
    process.umask(0o077)
    const config = loadConfig()
    // Run without the server's LOGIN_RUN_DIR, the CLI would otherwise work on a brand-new, empty SQLite database.
    const file = config.database ? null : sqlitePath(config.runDir)
    const fresh = file !== null && !existsSync(file)
    if (fresh && !create)
      throw new errors.NotFound(
        `no database at ${file}; set LOGIN_RUN_DIR or LOGIN_DATABASE (or LOGIN_CONFIG) as the server has it, ` +
          'or pass --create to start a new one',
      )
    // The shared services only: no command signs anyone in, so no sign-in provider is contacted (nor waited for).
    const ctx = await createContext(config, systemClock, pino({ enabled: false }))
    process.stderr.write(`modular-login: ${fresh ? 'creating' : 'using'} the database ${ctx.db.description}\n`)
    try {
      const run = await command.load()
      await run(args, ctx, line => process.stdout.write(`${line}\n`))
    } finally {
      await ctx.close()
    }
    return 0
  } catch (error) {
    if (!isLoginError(error)) throw error
    process.stderr.write(`modular-login: ${error.message} (${error.code})\n`)
    return error.code === 'LOGIN_ERR_INTERNAL' ? 2 : 1
  }
}
