import { parseArgs } from 'node:util'
import type { AppContext } from '../context.js'
import { errors } from '../errors.js'
import { clientSettings } from '../oidc/client-settings.js'
import { issuerOf } from '../oidc/issuer.js'
import type { App } from '../storage/apps.js'
import { AppService } from './apps.js'

const ADD_USAGE =
  'app add <name> [--redirect-uri <url>]... [--post-logout-redirect-uri <url>]... ' +
  "[--backchannel-logout-uri <url>] [--public] [--require '<group expression>'] [--id-token-alg RS256|EdDSA] " +
  '[--device]'
const USAGE =
  `usage: modular-login ${ADD_USAGE} | app list | app remove <name> | ` +
  'app allow <name> <namespace> | app deny <name> <namespace>'

function when(seconds: number | null): string {
  return seconds === null ? 'never' : new Date(seconds * 1000).toISOString()
}

/** The options of `app add` after the name: the app's OpenID Connect side. */
function addOptions(args: string[]) {
  try {
    return parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        'redirect-uri': { type: 'string', multiple: true },
        'post-logout-redirect-uri': { type: 'string', multiple: true },
        'backchannel-logout-uri': { type: 'string' },
        public: { type: 'boolean' },
        require: { type: 'string' },
        'id-token-alg': { type: 'string' },
        device: { type: 'boolean' },
      },
    }).values
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
  }
  return fields.join('\t')
}

/**
 * `app add <name> [OpenID Connect options]`: registers a client application
 * and prints its credentials once, as JSON `{"id": …, "secret": …,
 * "issuer": …}` (only a hash of the secret is kept; a public client gets
 * none). `app list`: one line per app. `app remove <name>`: deletes it and
 * disconnects it from every running server process. `app allow <name>
 * <namespace>` / `app deny …`: lets the app manage a namespace it did not
 * create, or stops it (docs/protocol.md, "Apps are scoped").
 */
export async function appCommand(
  args: string[],
  ctx: AppContext,
  print: (line: string) => void = line => process.stdout.write(`${line}\n`),
): Promise<void> {
  const apps = new AppService(ctx)
  const [action, name, ...rest] = args
  if (action === 'allow' || action === 'deny') return scopeCommand(action, name, rest, ctx, print)
  switch (action) {
    case 'add': {
      if (name === undefined || name.startsWith('--')) throw new errors.BadRequest(USAGE)
      const options = addOptions(rest)
      const settings = clientSettings({
        redirectUris: options['redirect-uri'],
        postLogoutRedirectUris: options['post-logout-redirect-uri'],
        backchannelLogoutUri: options['backchannel-logout-uri'],
        public: options.public,
        require: options.require,
        idTokenAlg: options['id-token-alg'],
        device: options.device,
      })
      print(JSON.stringify({ ...(await apps.add(name, settings)), issuer: issuerOf(ctx.config) }))
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
