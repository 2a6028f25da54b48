/**
 * Who changes groups: a signed-in user (bound by their own power), a client
 * application (bound to its namespaces, see `AppScope`), or the
 * administrator at the command line (bound by nothing but the rules that
 * keep the data whole).
 */
export type Actor = { kind: 'user'; userId: string } | { kind: 'app'; appId: string } | { kind: 'admin' }

export const ADMIN: Actor = Object.freeze({ kind: 'admin' })

export function userActor(userId: string): Actor {
  return { kind: 'user', userId }
}

export function appActor(appId: string): Actor {
  return { kind: 'app', appId }
}

/** The user to name in the audit log; null for an app or the administrator. */
export function actingUser(actor: Actor): string | null {
  return actor.kind === 'user' ? actor.userId : null
}

/** The app to record as a membership's granter; null for a user or the administrator. */
export function actingApp(actor: Actor): string | null {
  return actor.kind === 'app' ? actor.appId : null
}

/** What the audit log's detail records of an app actor. */
export function actorDetail(actor: Actor): Record<string, string> {
  return actor.kind === 'app' ? { app: actor.appId } : {}
}
