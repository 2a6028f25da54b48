/**
 * How long a test waits for something that will happen: generous, since a
 * busy two-core machine delays timers and sockets by seconds. Tests assert
 * what happens, not how fast (latency targets live in bench/).
 */
export const PATIENCE_MS = 30_000

/** Polls `check` every few ms until it answers true; answers the milliseconds it took, or throws after `ms`. */
export async function within(ms: number, check: () => Promise<boolean> | boolean, every = 5): Promise<number> {
  const start = performance.now()
  for (;;) {
    if (await check()) return performance.now() - start
    if (performance.now() - start > ms) throw new Error(`condition not met within ${ms} ms`)
    await new Promise(resolve => setTimeout(resolve, every))
  }
}
