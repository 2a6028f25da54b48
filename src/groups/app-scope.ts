import { errors } from '../errors.js'
import type { AppNamespace } from '../storage/app-namespaces.js'
import type { Actor } from './actor.js'
import type { GroupDeps } from './group-deps.js'
import { checkPath } from './group-paths.js'

/** The namespace (root group) a group path lies in. */
export function namespaceOf(path: string): string {
  return path.slice(0, (path + '/').indexOf('/'))
}

function refuse(namespace: string): never {
  throw new errors.Forbidden(
    `This app may not manage the namespace ${namespace}: an app manages the namespaces it created ` +
      `and those an admin allowed it on (modular-login app allow <app> ${namespace})`,
  )
}

/**
 * Throws `LOGIN_ERR_FORBIDDEN` when an app acts on a group outside its
 * namespaces (docs/protocol.md, "Apps are scoped"). Users and the administrator pass:
 * their own rules apply elsewhere. Call inside the transaction that writes.
 */
export async function assertAppManages(deps: GroupDeps, actor: Actor, path: string): Promise<void> {
  if (actor.kind !== 'app') return
  const namespace = namespaceOf(path)
  if (!(await deps.appNamespaces.get(actor.appId, namespace))) refuse(namespace)
}

/**
 * Before an app creates `path`: a namespace that exists already must be
 * one the app manages; one that does not exist becomes the app's. Call
 * inside the transaction that creates the groups.
 */
export async function claimForApp(deps: GroupDeps, actor: Actor, path: string, now: number): Promise<void> {
  if (actor.kind !== 'app') return
  const namespace = namespaceOf(path)
  if (await deps.groups.findByPath(namespace)) await assertAppManages(deps, actor, path)
  else await deps.appNamespaces.add(actor.appId, namespace, 'created', now)
}

/** The administrator's view of app scopes: which namespaces each app manages (`modular-login app allow|deny|list`). */
export class AppScope {
  constructor(private readonly deps: GroupDeps) {}

  namespacesOf(appId: string): Promise<AppNamespace[]> {
    return this.deps.appNamespaces.list(appId)
  }

  /** Lets the app manage `namespace` (which need not exist yet); a no-op when it already may. */
  async allow(appId: string, namespace: string): Promise<void> {
    checkPath(namespace, 'namespace')
    if (namespace.includes('/')) throw new errors.BadRequest(`${namespace} is not a namespace (a root group has no /)`)
    await this.deps.appNamespaces.add(appId, namespace, 'allowed', this.deps.clock.now())
  }

  /** Stops the app from managing `namespace`, whether it created it or was allowed on it. */
  async deny(appId: string, namespace: string): Promise<void> {
    if (!(await this.deps.appNamespaces.delete(appId, namespace))) {
      throw new errors.NotFound(`This app does not manage the namespace ${namespace}`)
    }
  }
}
