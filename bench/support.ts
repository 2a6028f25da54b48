/**
 * What the bench scripts share: their load options, forking a helper
 * process and waiting for its "ready" message, and the median of rounds.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

export interface LoadOptions {
  /** Seconds of load per target and round. */
  duration: number
  /** Seconds of load per target before the first measured round. */
  warmup: number
  rounds: number
  connections: number
  logLevel: string
}

/** `--duration --warmup --rounds --connections --log-level` from the command line. */
export function loadOptions(defaults: { warmup: number }): LoadOptions {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '3' },
      warmup: { type: 'string', default: String(defaults.warmup) },
      rounds: { type: 'string', default: '5' },
      connections: { type: 'string', default: '32' },
      'log-level': { type: 'string', default: 'warn' },
    },
  })
  return {
    duration: Number(values.duration),
    warmup: Number(values.warmup),
    rounds: Number(values.rounds),
    connections: Number(values.connections),
    logLevel: values['log-level']!,
  }
}

/** A helper process started by {@link forkReady}. */
export interface Forked<T> {
  child: ChildProcess
  /** Its first IPC message. */
  ready: T
  /** Ends it and waits until it has exited. */
  stop(): Promise<void>
}

/**
 * Forks `script` (a path relative to `bench/`) with the same loader flags as
 * this process and `options` as its JSON argument, and waits for its first
 * IPC message; fails if it exits first.
 */
export async function forkReady<T>(script: string, options: unknown, settings: { execArgv?: string[]; stdout?: 'inherit' | 'ignore' } = {}): Promise<Forked<T>> {
  const child = fork(fileURLToPath(new URL(script, import.meta.url)), [JSON.stringify(options)], {
    execArgv: settings.execArgv ?? process.execArgv,
    stdio: ['ignore', settings.stdout ?? 'ignore', 'inherit', 'ipc'],
  })
  const [ready] = (await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(([code]) => { throw new Error(`${script} exited with ${code} before it was ready`) }),
  ])) as [T]
  return {
    child, ready,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      await exited
    },
  }
}

/**
 * For a helper process: closes `close()` and removes `runDir` when the parent
 * says so (SIGTERM) or goes away (its IPC channel closes), then exits.
 */
export function exitWithParent(close: () => Promise<unknown>, runDir?: string): void {
  const stop = async () => {
    await close()
    if (runDir) rmSync(runDir, { recursive: true, force: true })
    process.exit(0)
  }
  process.once('SIGTERM', stop)
  process.once('disconnect', stop)
}

/** The median of a list of numbers (the mean of the middle two for an even count). */
export function median(list: readonly number[]): number {
  const sorted = [...list].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}
