import type { ChildProcess } from 'node:child_process'
import type { Teardown } from './teardown.js'

/** Stops `child` (SIGTERM) when the test ends, and waits for it to exit. */
export function stopWhenDone(t: Teardown, child: ChildProcess): void {
  t.teardown(
    () =>
      new Promise<void>(resolve => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  )
}
