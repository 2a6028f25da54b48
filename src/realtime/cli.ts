import type { AppContext } from '../context.js'
import { errors } from '../errors.js'
import { AppService } from './apps.js'

const USAGE =
  'usage: modular-login app add <name> | app list | app remove <name> | app allow <name> <namespace> | app deny <name> <namespace>'

function when(seconds: number | null): string {
  return seconds === null ? 'never' : new Date(seconds * 1000).toISOString()
}

/**
 * `app add <name>`: registers a client application and prints its
 * credentials once, as JSON `{"id": …, "secret": …}` (only a hash of the
 * secret is kept). `app list`: one line per app. `app remove <name>`:
 * deletes it and disconnects it from every running server process.
 * `app allow <name> <namespace>` / `app deny …`: lets the app manage a
 * namespace it did not create, or stops it (README, "Apps are scoped").
 */
export async function appCommand(
  args: string[],
  ctx: AppContext,
  print: (line: string) => void = line => process.stdout.write(`${line}\n`),
): Promise<void> {
  const apps = new AppService(ctx)
  const [action, name, ...rest] = args
  if (action === 'allow' || action === 'deny') return scopeCommand(action, name, rest, ctx, print)
  if (rest.length > 0) throw new errors.BadRequest(USAGE)
  switch (action) {
    case 'add':
      if (name === undefined) throw new errors.BadRequest(USAGE)
      print(JSON.stringify(await apps.add(name)))
      return
    case 'list':
      if (name !== undefined) throw new errors.BadRequest(USAGE)
      for (const app of await apps.list()) {
        const namespaces = (await ctx.groups.appScope.namespacesOf(app.id)).map(n => `${n.namespace} (${n.kind})`)
        print(
          `${app.name}\t${app.id}\tcreated ${when(app.created)}\tlast seen ${when(app.lastSeen)}` +
            `\tnamespaces ${namespaces.join(', ') || 'none'}`,
        )
      }
      return
    case 'remove': {
      if (name === undefined) throw new errors.BadRequest(USAGE)
      const app = await apps.remove(name)
      print(`removed app ${app.name} (${app.id}); its connections are closed`)
      return
    }
    default:
      throw new errors.BadRequest(USAGE)
  }
}

async function scopeCommand(
  action: 'allow' | 'deny',
  name: string | undefined,
  rest: string[],
  ctx: AppContext,
  print: (line: string) => void,
): Promise<void> {
  const [namespace, ...extra] = rest
  if (name === undefined || namespace === undefined || extra.length > 0) throw new errors.BadRequest(USAGE)
  const app = await new AppService(ctx).find(name)
  if (!app) throw new errors.NotFound(`No app named ${name}`)
  if (action === 'allow') {
    await ctx.groups.appScope.allow(app.id, namespace)
    print(`app ${app.name} may now manage the namespace ${namespace}`)
  } else {
    await ctx.groups.appScope.deny(app.id, namespace)
    print(`app ${app.name} may no longer manage the namespace ${namespace}`)
  }
}
