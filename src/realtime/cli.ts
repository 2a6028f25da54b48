import type { AppContext } from '../context.js'
import { errors } from '../errors.js'
import { AppService } from './apps.js'

const USAGE = 'usage: modular-login app add <name> | app list | app remove <name>'

function when(seconds: number | null): string {
  return seconds === null ? 'never' : new Date(seconds * 1000).toISOString()
}

/**
 * `app add <name>`: registers a client application and prints its
 * credentials once, as JSON `{"id": …, "secret": …}` (only a hash of the
 * secret is kept). `app list`: one line per app. `app remove <name>`:
 * deletes it and disconnects it from every running server process.
 */
export async function appCommand(
  args: string[],
  ctx: AppContext,
  print: (line: string) => void = line => process.stdout.write(`${line}\n`),
): Promise<void> {
  const apps = new AppService(ctx)
  const [action, name, ...rest] = args
  if (rest.length > 0) throw new errors.BadRequest(USAGE)
  switch (action) {
    case 'add':
      if (name === undefined) throw new errors.BadRequest(USAGE)
      print(JSON.stringify(apps.add(name)))
      return
    case 'list':
      if (name !== undefined) throw new errors.BadRequest(USAGE)
      for (const app of apps.list())
        print(`${app.name}\t${app.id}\tcreated ${when(app.created)}\tlast seen ${when(app.lastSeen)}`)
      return
    case 'remove': {
      if (name === undefined) throw new errors.BadRequest(USAGE)
      const app = apps.remove(name)
      print(`removed app ${app.name} (${app.id}); its connections are closed`)
      return
    }
    default:
      throw new errors.BadRequest(USAGE)
  }
}
