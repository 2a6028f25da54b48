import { parseArgs, type ParseArgsConfig } from 'node:util'
import type { AppContext } from '../context.js'
import { errors } from '../errors.js'
import type { AllowOutcome } from '../groups/app-scope.js'
import { clientSettings } from '../oidc/client-settings.js'
import { issuerOf } from '../oidc/issuer.js'
import type { App } from '../storage/apps.js'

const ADD_USAGE =
  'app add <name> [--namespace <namespace>]... [--redirect-uri <url>]... [--post-logout-redirect-uri <url>]... ' +
  "[--backchannel-logout-uri <url>] [--public] [--require '<group expression>'] [--id-token-alg RS256|EdDSA] " +
  '[--device] [--channel]'
const USAGE =
  `usage: modular-login ${ADD_USAGE} | app list | app remove <name> | ` +
  'app allow <name> <namespace> [--read | --take-over] | app deny <name> <namespace> | app channel <name> on|off'

function when(seconds: number | null): string {
  return seconds === null ? 'never' : new Date(seconds * 1000).toISOString()
}

/** Reads the options that follow a command's positional arguments; a mistake answers the usage. */
function options<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], known: T) {
  try {
    return parseArgs({ args, strict: true, allowPositionals: false, options: known }).values
  } catch (error) {
    throw new errors.BadRequest(`${(error as Error).message}; ${USAGE}`)
  }
}

/** One line of `app list`; an OpenID Connect client's settings follow its name, id, times and namespaces. */
async function listing(app: App, ctx: AppContext): Promise<string> {
  const namespaces = (await ctx.groups.appScope.namespacesOf(app.id)).map(n => `${n.namespace} (${n.kind})`)
  const fields = [
    app.name,
    app.id,
    `created ${when(app.created)}`,
    `last seen ${when(app.lastSeen)}`,
    `namespaces ${namespaces.join(', ') || 'none'}`,
  ]
  const { oidc } = app
  if (oidc) {
    if (oidc.redirectUris.length > 0) fields.push(`redirect ${oidc.redirectUris.join(' ')}`)
    if (oidc.device) fields.push('device sign-in')
    if (oidc.postLogoutRedirectUris.length > 0) fields.push(`post-logout ${oidc.postLogoutRedirectUris.join(' ')}`)
    if (oidc.backchannelLogoutUri) fields.push(`back-channel logout ${oidc.backchannelLogoutUri}`)
    if (oidc.public) fields.push('public (PKCE, no secret)')
    if (oidc.require) fields.push(`require ${oidc.require}`)
    fields.push(`ID tokens ${oidc.idTokenAlg}`)
    fields.push(app.channel ? 'channel too' : 'no channel')
  }
  return fields.join('\t')
}

/** What `app allow` says it did, line by line. */
function allowed(app: App, namespace: string, outcome: AllowOutcome): string[] {
  const now = outcome.access === 'manage' ? 'manage' : 'read'
  const lines = outcome.takenOver.map(
    ({ app: from, granted, below }) =>
      `took over the namespace ${namespace}: ended ${granted} membership${granted === 1 ? '' : 's'} granted there ` +
      `by ${from}${below > 0 ? ` and ${below} admitted below them` : ''}; ${from} no longer manages it`,
  )
  lines.push(`app ${app.name} ${outcome.changed ? 'may now' : 'could already'} ${now} the namespace ${namespace}`)
  return lines
}

/**
 * `app add <name> [--namespace <ns>]… [OpenID Connect options] [--device] [--channel]`:
 * registers a client application, claiming the namespaces named (which must
 * not exist yet), and prints its credentials once, as JSON `{"id": …,
 * "secret": …, "issuer": …}` (only a hash of the secret is kept; a public
 * client gets none). `app list`: one line per app. `app remove <name>`:
 * deletes it and disconnects it from every running server process. `app
 * allow <name> <namespace> [--read | --take-over]` / `app deny …`: lets the
 * app manage (or only read) a namespace it did not create, or stops it
 * (docs/protocol.md, "Apps are scoped"). `app channel <name> on|off`: lets an
 * OpenID Connect client open the realtime channel too, or stops it.
 */
export async function appCommand(
  args: string[],
  ctx: AppContext,
  print: (line: string) => void = line => process.stdout.write(`${line}\n`),
): Promise<void> {
  const { apps } = ctx
  const [action, name, ...rest] = args
  if (action === 'allow' || action === 'deny') return scopeCommand(action, name, rest, ctx, print)
  switch (action) {
    case 'add': {
      if (name === undefined || name.startsWith('--')) throw new errors.BadRequest(USAGE)
      const given = options(rest, {
        namespace: { type: 'string', multiple: true },
        'redirect-uri': { type: 'string', multiple: true },
        'post-logout-redirect-uri': { type: 'string', multiple: true },
        'backchannel-logout-uri': { type: 'string' },
        public: { type: 'boolean' },
        require: { type: 'string' },
        'id-token-alg': { type: 'string' },
        device: { type: 'boolean' },
        channel: { type: 'boolean' },
      })
      const settings = clientSettings({
        redirectUris: given['redirect-uri'],
        postLogoutRedirectUris: given['post-logout-redirect-uri'],
        backchannelLogoutUri: given['backchannel-logout-uri'],
        public: given.public,
        require: given.require,
        idTokenAlg: given['id-token-alg'],
        device: given.device,
      })
      const issued = await apps.add(name, settings, { channel: given.channel, namespaces: given.namespace })
      print(JSON.stringify({ ...issued, issuer: issuerOf(ctx.config) }))
      return
    }
    case 'list':
      if (name !== undefined || rest.length > 0) throw new errors.BadRequest(USAGE)
      for (const app of await apps.list()) print(await listing(app, ctx))
      return
    case 'remove': {
      if (name === undefined || rest.length > 0) throw new errors.BadRequest(USAGE)
      const app = await apps.remove(name)
      print(`removed app ${app.name} (${app.id}); its connections are closed`)
      return
    }
    case 'channel': {
      const [state, ...extra] = rest
      if (name === undefined || (state !== 'on' && state !== 'off') || extra.length > 0)
        throw new errors.BadRequest(USAGE)
      const { app, changed } = await apps.setChannel(name, state === 'on')
      if (!changed) print(`app ${app.name} ${app.channel ? 'may already' : 'already may not'} open the channel`)
      else if (app.channel) print(`app ${app.name} may now open the channel`)
      else print(`app ${app.name} may no longer open the channel; its connections are closed`)
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
  if (name === undefined || namespace === undefined || namespace.startsWith('--')) throw new errors.BadRequest(USAGE)
  const given = options(
    extra,
    action === 'allow' ? { read: { type: 'boolean' }, 'take-over': { type: 'boolean' } } : {},
  )
  if (given.read && given['take-over']) throw new errors.BadRequest(`--read takes nothing over; ${USAGE}`)
  const app = await ctx.apps.find(name)
  if (!app) throw new errors.NotFound(`No app named ${name}`)
  if (action === 'allow') {
    const outcome = await ctx.groups.appScope.allow(app.id, namespace, {
      read: given.read === true,
      takeOver: given['take-over'] === true,
    })
    for (const line of allowed(app, namespace, outcome)) print(line)
  } else {
    await ctx.groups.appScope.deny(app.id, namespace)
    print(`app ${app.name} may no longer manage or read the namespace ${namespace}`)
  }
}
