import { freePort, leaseClaims, signInOverHttp, tempDir } from '../helpers/app.js'
import { spawnTs, type Child } from '../helpers/realtime.js'
import type { Teardown } from '../helpers/teardown.js'

/** A login server in a process of its own, one node of a deployment. */
export interface Node {
  url: string
  port: number
  child: Child
  /** Stops it (SIGTERM, a clean shutdown) and starts it again on the same port; resolves once it is ready. */
  restart(): Promise<void>
}

/**
 * Starts a node on `LOGIN_DATABASE=database` (and the memcached servers
 * given), in debug mode, on its own port; ready once it logs so.
 */
export async function startNode(
  t: Teardown,
  database: string,
  memcached: readonly string[],
  extra: Record<string, string> = {},
  /** Its port, when the caller must know it first, and the name browsers reach it by (`localhost` for passkeys). */
  place: { port?: number; hostName?: string } = {},
): Promise<Node> {
  const port = place.port ?? (await freePort())
  const url = `http://${place.hostName ?? '127.0.0.1'}:${port}`
  const env = {
    LOGIN_DATABASE: database,
    LOGIN_MEMCACHED: memcached.join(','),
    LOGIN_RUN_DIR: tempDir(t),
    LOGIN_DEBUG: '1',
    LOGIN_LOG_LEVEL: 'info',
    LOGIN_RATE_LIMIT: '100000',
    LOGIN_HOST: '127.0.0.1',
    LOGIN_PORT: String(port),
    LOGIN_PUBLIC_URL: url,
    ...extra,
  }
  const start = () =>
    spawnTs(t, '../../src/main.ts', env, {
      ready: line => line.includes('"msg":"modular-login ready"'),
      timeoutMs: 120_000,
    })
  const node: Node = {
    url,
    port,
    child: await start(),
    async restart() {
      await node.child.kill('SIGTERM')
      node.child = await start()
    },
  }
  return node
}

/** Signs in with the `test` provider on a node; answers the cookie, the session's id and the user's. */
export async function signInOn(node: Node, who: string): Promise<{ cookie: string; sid: string; user: string }> {
  const cookie = await signInOverHttp(node.url, who)
  const claims = leaseClaims(cookie)
  return { cookie, sid: claims.sid as string, user: claims.sub! }
}

/** The status of `/login/check` on a node for a cookie. */
export async function check(node: Node, cookie: string, group?: string): Promise<number> {
  const query = group === undefined ? '' : `?group=${encodeURIComponent(group)}`
  return (await fetch(`${node.url}/login/check${query}`, { headers: { cookie } })).status
}
