import { errors } from '../errors.js'
import type { AppNamespace } from '../storage/app-namespaces.js'
import type { Actor } from './actor.js'
import type { GroupEnv } from './env.js'
import { checkPath } from './paths.js'

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
 * namespaces (README, "Apps are scoped"). Users and the administrator pass:
 * their own rules apply elsewhere. Call inside the transaction that writes.
 */
export function assertAppManages(env: GroupEnv, actor: Actor, path: string): void {
  if (actor.kind !== 'app') return
  const namespace = namespaceOf(path)
  if (!env.appNamespaces.get(actor.appId, namespace)) refuse(namespace)
}

/**
 * Before an app creates `path`: a namespace that exists already must be
 * one the app manages; one that does not exist becomes the app's. Call
 * inside the transaction that creates the groups.
 */
export function claimForApp(env: GroupEnv, actor: Actor, path: string, now: number): void {
  if (actor.kind !== 'app') return
  const namespace = namespaceOf(path)
  if (env.groups.findByPath(namespace)) assertAppManages(env, actor, path)
  else env.appNamespaces.add(actor.appId, namespace, 'created', now)
}

/** The administrator's view of app scopes: which namespaces each app manages (`modular-login app allow|deny|list`). */
export class AppScope {
  constructor(private readonly env: GroupEnv) {}

  namespacesOf(appId: string): AppNamespace[] {
    return this.env.appNamespaces.list(appId)
  }

  /** Lets the app manage `namespace` (which need not exist yet); a no-op when it already may. */
  allow(appId: string, namespace: string): void {
    checkPath(namespace, 'namespace')
    if (namespace.includes('/')) throw new errors.BadRequest(`${namespace} is not a namespace (a root group has no /)`)
    this.env.appNamespaces.add(appId, namespace, 'allowed', this.env.clock.now())
  }

  /** Stops the app from managing `namespace`, whether it created it or was allowed on it. */
  deny(appId: string, namespace: string): void {
    if (!this.env.appNamespaces.delete(appId, namespace)) {
      throw new errors.NotFound(`This app does not manage the namespace ${namespace}`)
    }
  }
}
