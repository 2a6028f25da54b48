/**
 * What the bench scripts share: their load options, forking a helper
 * process and waiting for its "ready" message, and the median of rounds.
 */
import autocannon from 'autocannon'
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
export function loadOptions(defaults: { warmup: number; logLevel?: string }): LoadOptions {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '3' },
      warmup: { type: 'string', default: String(defaults.warmup) },
      rounds: { type: 'string', default: '5' },
      connections: { type: 'string', default: '32' },
      'log-level': { type: 'string', default: defaults.logLevel ?? 'warn' },
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
 * IPC message; fails if it exits first. `stdout` may be a file descriptor
 * (a log file the child writes, as `server.sh start` writes run/server.log).
 */
export async function forkReady<T>(
  script: string,
  options: unknown,
  settings: { execArgv?: string[]; stdout?: 'inherit' | 'ignore' | number } = {},
): Promise<Forked<T>> {
  const child = fork(fileURLToPath(new URL(script, import.meta.url)), [JSON.stringify(options)], {
    execArgv: settings.execArgv ?? process.execArgv,
    stdio: ['ignore', settings.stdout ?? 'ignore', 'inherit', 'ipc'],
  })
  const [ready] = (await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`${script} exited with ${code} before it was ready`)
    }),
  ])) as [T]
  return {
    child,
    ready,
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

/** The `p`th percentile (0–100) of a list of numbers: the smallest value at or above that share of them. */
export function percentile(list: readonly number[], p: number): number {
  const sorted = [...list].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
}

/** One HTTP target of a throughput bench, with what each round measured. */
export interface LoadTarget {
  name: string
  url: string
  headers: Record<string, string>
  rps: number[]
  p50: number[]
  p99: number[]
}

/**
 * Warms every target up, then measures them in alternating rounds, so that
 * a busy neighbour slows all of them alike and each ratio can compare
 * figures of the same round. Prints one line per round.
 */
export async function measureRounds(targets: readonly LoadTarget[], options: LoadOptions): Promise<void> {
  const load = (target: LoadTarget, seconds: number) => loadTarget(target, seconds, options.connections)
  for (const target of targets) await load(target, options.warmup)
  for (let round = 1; round <= options.rounds; round++) {
    const line: string[] = []
    for (const target of targets) {
      const result = await load(target, options.duration)
      target.rps.push(result.requests.average)
      target.p50.push(result.latency.p50)
      target.p99.push(result.latency.p99)
      line.push(`${Math.round(result.requests.average)}`)
    }
    process.stdout.write(`  round ${round}: ${line.join(' / ')} req/s\n`)
  }
}

/**
 * Drives one target with autocannon for `seconds` (as fast as it answers, or `overallRate` requests a
 * second); any failed request fails the bench.
 */
export async function loadTarget(
  target: LoadTarget,
  seconds: number,
  connections: number,
  overallRate?: number,
): Promise<autocannon.Result> {
  const load = { url: target.url, headers: target.headers, connections, duration: seconds }
  const result = await autocannon(overallRate ? { ...load, overallRate } : load)
  const failed = result.non2xx + result.errors + result.timeouts
  if (failed > 0)
    throw new Error(
      `${target.name}: ${result.non2xx} non-2xx answers, ${result.errors} errors, ${result.timeouts} timeouts`,
    )
  return result
}
