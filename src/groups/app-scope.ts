import { errors } from '../errors.js'
import type { AppNamespace, AppNamespaceKind, NamespaceHolder } from '../storage/app-namespaces.js'
import type { AppGrant } from '../storage/memberships.js'
import type { NamespaceAccess } from '../storage/revocations.js'
import type { Actor } from './actor.js'
import { logScopeChange } from './changes.js'
import { endWithCascade } from './end-membership.js'
import type { GroupDeps } from './group-deps.js'
import { checkPath, descendantRange, namespaceOf } from './group-paths.js'

/** What a hold on a namespace lets an app do: all but `read` let it manage the namespace. */
export function accessOf(kind: AppNamespaceKind): NamespaceAccess {
  return kind === 'read' ? 'read' : 'manage'
}

function refuse(namespace: string): never {
  throw new errors.Forbidden(
    `This app may not manage the namespace ${namespace}: an app manages the namespaces it created or claimed ` +
      `and those an admin allowed it on (modular-login app allow <app> ${namespace})`,
  )
}

function checkNamespace(namespace: string): void {
  checkPath(namespace, 'namespace')
  if (namespace.includes('/')) throw new errors.BadRequest(`${namespace} is not a namespace (a root group has no /)`)
}

/**
 * Throws `LOGIN_ERR_FORBIDDEN` when an app acts on a group outside the
 * namespaces it manages (docs/protocol.md, "Apps are scoped"). Users and the
 * administrator pass: their own rules apply elsewhere. Call inside the
 * transaction that writes.
 */
export async function assertAppManages(deps: GroupDeps, actor: Actor, path: string): Promise<void> {
  if (actor.kind !== 'app') return
  const namespace = namespaceOf(path)
  const held = await deps.appNamespaces.get(actor.appId, namespace)
  if (!held || accessOf(held.kind) !== 'manage') refuse(namespace)
}

/**
 * Before an app creates `path`: a namespace it does not manage must not
 * exist yet, nor be set aside for another app (claimed at registration, or
 * allowed before it was made); then it becomes the app's. Call inside the
 * transaction that creates the groups.
 */
export async function claimForApp(deps: GroupDeps, actor: Actor, path: string, now: number): Promise<void> {
  if (actor.kind !== 'app') return
  const namespace = namespaceOf(path)
  const held = await deps.appNamespaces.get(actor.appId, namespace)
  if (held && accessOf(held.kind) === 'manage') return
  if (await deps.groups.findByPath(namespace)) refuse(namespace)
  const holders = await deps.appNamespaces.holders(namespace)
  if (holders.some(h => h.appId !== actor.appId && accessOf(h.kind) === 'manage')) refuse(namespace)
  await deps.appNamespaces.set(actor.appId, namespace, 'created', now)
  await logScopeChange(deps, actor.appId, namespace, 'manage', now)
}

/** An app whose hold on a namespace stands in another's way: it created or claimed it, or granted in it. */
interface Rival {
  appId: string
  /** Its name; null when the app was removed since it granted. */
  name: string | null
  hold: NamespaceHolder | undefined
  grants: AppGrant[]
}

/** What `app allow --take-over` ended of one app's: the memberships it granted, and those admitted below them. */
export interface TakenOver {
  app: string
  granted: number
  below: number
}

/** What `app allow` did: what the app may now do there, whether that changed, and what it took over. */
export interface AllowOutcome {
  access: NamespaceAccess
  changed: boolean
  takenOver: TakenOver[]
}

function appName(rival: Pick<Rival, 'appId' | 'name'>): string {
  return rival.name === null ? `a removed app (${rival.appId})` : `app ${rival.name}`
}

/** "app squatter created it and granted 2 memberships there (grafana, grafana/admins)". */
function describe(rival: Rival): string {
  const did: string[] = []
  if (rival.hold?.kind === 'created' || rival.hold?.kind === 'claimed') did.push(`${rival.hold.kind} it`)
  if (rival.grants.length > 0) {
    const paths = [...new Set(rival.grants.map(grant => grant.path))]
    const shown = paths.length > 5 ? [...paths.slice(0, 5), '…'] : paths
    const count = rival.grants.length
    did.push(`granted ${count} membership${count === 1 ? '' : 's'} there (${shown.join(', ')})`)
  }
  return `${appName(rival)} ${did.join(' and ')}`
}

/**
 * The administrator's view of app scopes (`modular-login app
 * allow|deny|list`, `app add --namespace`): which namespaces each app
 * manages or may read. Every change is logged (`scope` entries), so that
 * every server process pushes a namespace's changes to exactly the apps
 * that may see them.
 */
export class AppScope {
  constructor(private readonly deps: GroupDeps) {}

  namespacesOf(appId: string): Promise<AppNamespace[]> {
    return this.deps.appNamespaces.list(appId)
  }

  /** The namespaces the app manages (created, claimed or allowed on): its own, as the `groups` claim shows them. */
  async managedBy(appId: string): Promise<Set<string>> {
    const held = await this.namespacesOf(appId)
    return new Set(held.filter(n => accessOf(n.kind) === 'manage').map(n => n.namespace))
  }

  /** Throws `LOGIN_ERR_FORBIDDEN` unless the app manages or may read every one of `namespaces`. */
  async assertReads(appId: string, namespaces: Iterable<string>): Promise<void> {
    const held = new Set((await this.namespacesOf(appId)).map(n => n.namespace))
    for (const namespace of namespaces) {
      if (!held.has(namespace))
        throw new errors.Forbidden(
          `This app may not ask about the namespace ${namespace}: an app asks about its own namespaces ` +
            `and those an admin let it read (modular-login app allow <app> ${namespace} --read)`,
        )
    }
  }

  /**
   * Claims a namespace that does not exist yet for a new app (`app add
   * --namespace`): refused when it exists or another app holds it. Call
   * inside the transaction that registers the app.
   */
  async claim(appId: string, namespace: string): Promise<void> {
    checkNamespace(namespace)
    if (await this.deps.groups.findByPath(namespace)) {
      throw new errors.Conflict(
        `The namespace ${namespace} exists already: registration claims only a new one ` +
          `(modular-login app allow <app> ${namespace} lets an app manage an existing namespace)`,
      )
    }
    const others = (await this.deps.appNamespaces.holders(namespace)).filter(h => accessOf(h.kind) === 'manage')
    if (others.length > 0) {
      const held = others.map(h => `app ${h.appName} ${h.kind === 'allowed' ? 'was allowed on' : h.kind} it`)
      throw new errors.Conflict(`The namespace ${namespace} is another app's: ${held.join('; ')}`)
    }
    const now = this.deps.clock.now()
    await this.deps.appNamespaces.set(appId, namespace, 'claimed', now)
    await logScopeChange(this.deps, appId, namespace, 'manage', now)
    await this.deps.announce()
  }

  /**
   * Lets the app manage `namespace` (which need not exist yet), or with
   * `read` only ask about it. Managing a namespace that another app created,
   * claimed or granted in is refused (`LOGIN_ERR_CONFLICT`, naming the app
   * and what it granted), unless `takeOver`: then every membership those
   * apps granted there ends (with those admitted below them) and they no
   * longer manage it.
   */
  async allow(appId: string, namespace: string, options: { read?: boolean; takeOver?: boolean } = {}) {
    checkNamespace(namespace)
    const outcome = await this.deps.db.transaction(async (): Promise<AllowOutcome> => {
      const now = this.deps.clock.now()
      const holders = await this.deps.appNamespaces.holders(namespace)
      const own = holders.find(h => h.appId === appId)
      if (own && (options.read || accessOf(own.kind) === 'manage'))
        return { access: accessOf(own.kind), changed: false, takenOver: [] }
      if (options.read) {
        await this.deps.appNamespaces.set(appId, namespace, 'read', now)
        await logScopeChange(this.deps, appId, namespace, 'read', now)
        return { access: 'read', changed: true, takenOver: [] }
      }
      const rivals = await this.rivals(appId, namespace, holders, now)
      if (rivals.length > 0 && !options.takeOver) {
        throw new errors.Conflict(
          `The namespace ${namespace} is another app's: ${rivals.map(describe).join('; ')}. To hand it over, ` +
            `ending what was granted there: modular-login app allow <app> ${namespace} --take-over`,
        )
      }
      const takenOver = []
      for (const rival of rivals) takenOver.push(await this.takeOver(rival, namespace, now))
      await this.deps.appNamespaces.set(appId, namespace, 'allowed', now)
      await logScopeChange(this.deps, appId, namespace, 'manage', now)
      return { access: 'manage', changed: true, takenOver }
    })
    if (outcome.changed) await this.deps.announce()
    return outcome
  }

  /** Stops the app from managing or reading `namespace`, however it came to it. */
  async deny(appId: string, namespace: string): Promise<void> {
    await this.deps.db.transaction(async () => {
      if (!(await this.deps.appNamespaces.delete(appId, namespace)))
        throw new errors.NotFound(`This app neither manages nor reads the namespace ${namespace}`)
      await logScopeChange(this.deps, appId, namespace, null, this.deps.clock.now())
    })
    await this.deps.announce()
  }

  /** The other apps that created, claimed or granted in `namespace`. */
  private async rivals(appId: string, namespace: string, holders: NamespaceHolder[], now: number): Promise<Rival[]> {
    const rivals = new Map<string, Rival>()
    for (const hold of holders) {
      if (hold.appId !== appId && (hold.kind === 'created' || hold.kind === 'claimed'))
        rivals.set(hold.appId, { appId: hold.appId, name: hold.appName, hold, grants: [] })
    }
    for (const grant of await this.deps.memberships.grantedByApps(namespace, descendantRange(namespace), now)) {
      if (grant.appId === appId) continue
      const id = grant.appId!
      const rival = rivals.get(id) ?? {
        appId: id,
        name: grant.appName,
        hold: holders.find(h => h.appId === id),
        grants: [],
      }
      rival.grants.push(grant)
      rivals.set(id, rival)
    }
    return [...rivals.values()]
  }

  /** Ends what a rival granted in `namespace` (and what was admitted below it), and its hold there. */
  private async takeOver(rival: Rival, namespace: string, now: number): Promise<TakenOver> {
    const ending = { kind: 'member_removed', actorId: null, reason: 'namespace taken over' } as const
    let granted = 0
    let below = 0
    for (const grant of rival.grants) {
      const ended = await endWithCascade(this.deps, grant, ending, true, now)
      if (ended.includes(grant.id)) granted++
      below += ended.filter(id => id !== grant.id).length
    }
    if (rival.hold && accessOf(rival.hold.kind) === 'manage') {
      await this.deps.appNamespaces.delete(rival.appId, namespace)
      await logScopeChange(this.deps, rival.appId, namespace, null, now)
    }
    return { app: appName(rival), granted, below }
  }
}
