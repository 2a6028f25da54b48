import type { AppScope } from '../groups/app-scope.js'
import { accessOf } from '../groups/app-scope.js'
import type { NamespaceAccess, Revocation } from '../storage/revocations.js'

/**
 * What one connection's app may hear of (docs/protocol.md, "Apps are scoped"): the
 * namespaces it manages or may read, read once at `hello` and then kept
 * current by the log's `scope` entries, which the connection follows in
 * cursor order with everything else it is sent: a change in a namespace
 * the app has just been given reaches it, one in a namespace it lost does
 * not.
 */
export class ChannelScope {
  private constructor(
    private readonly appId: string,
    private readonly namespaces: Map<string, NamespaceAccess>,
  ) {}

  static async load(appId: string, scope: Pick<AppScope, 'namespacesOf'>): Promise<ChannelScope> {
    const held = await scope.namespacesOf(appId)
    return new ChannelScope(appId, new Map(held.map(n => [n.namespace, accessOf(n.kind)])))
  }

  /**
   * Takes in an entry of the log, in cursor order, and answers whether the
   * app hears of it: every session revocation and deleted account (every
   * app verifies every lease), a membership change only inside its
   * namespaces.
   */
  follow(entry: Revocation): boolean {
    switch (entry.kind) {
      case 'scope':
        if (entry.subject === this.appId && entry.namespace !== null) {
          if (entry.access === null) this.namespaces.delete(entry.namespace)
          else this.namespaces.set(entry.namespace, entry.access)
        }
        return false
      case 'membership':
        return entry.namespace !== null && this.namespaces.has(entry.namespace)
      default:
        return true
    }
  }

  /** Whether the app may ask about every one of `namespaces`, as far as this connection has followed the log. */
  reads(namespaces: Iterable<string>): boolean {
    for (const namespace of namespaces) if (!this.namespaces.has(namespace)) return false
    return true
  }
}
