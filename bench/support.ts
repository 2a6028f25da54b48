/**
 * What the bench scripts share: their load options, forking a helper
 * process and waiting for its "ready" message, and the median of rounds.
 */
import autocannon from 'autocannon'
import { execFileSync, fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync, rmSync } from 'node:fs'
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

/** A bench's own options beside the common ones: their defaults, whose type each value keeps. */
type ExtraOptions = Record<string, number | string>
type ExtraValues<E extends ExtraOptions> = { [K in keyof E]: E[K] extends number ? number : string }

/**
 * `--duration --warmup --rounds --connections --log-level` from the command
 * line, and the bench's own options in `extra` (`--<name>`, a number or a
 * string as its default is).
 */
export function loadOptions<const E extends ExtraOptions = Record<never, never>>(
  defaults: { warmup: number; rounds?: number; logLevel?: string },
  extra: E = {} as E,
): LoadOptions & ExtraValues<E> {
  const own = Object.entries(extra)
  const flags: Record<string, { type: 'string'; default: string }> = {
    duration: { type: 'string', default: '3' },
    warmup: { type: 'string', default: String(defaults.warmup) },
    rounds: { type: 'string', default: String(defaults.rounds ?? 5) },
    connections: { type: 'string', default: '32' },
    'log-level': { type: 'string', default: defaults.logLevel ?? 'warn' },
  }
  for (const [name, value] of own) flags[name] = { type: 'string', default: String(value) }
  const values = parseArgs({ options: flags }).values as Record<string, string>
  return {
    ...(Object.fromEntries(
      own.map(([name, value]) => [name, typeof value === 'number' ? Number(values[name]) : values[name]]),
    ) as ExtraValues<E>),
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
 * Forks `script` (a compiled bench script beside this one: './target-server.js')
 * with the same node flags as this process and `options` as its JSON argument, and waits for its first
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

/** The median of per-round ratios of `rps` to `baseline` (requests per second measured in the same rounds). */
export function medianRatio(rps: readonly number[], baseline: readonly number[]): number {
  return median(rps.map((value, round) => value / baseline[round]!))
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

/** A target for autocannon: `path` on `base`, with a cookie when given. */
export function loadTargetOf(name: string, base: string, path: string, cookie?: string): LoadTarget {
  return { name, url: `${base}${path}`, headers: cookie ? { cookie } : {}, rps: [], p50: [], p99: [] }
}

/** Targets loaded at the same time, whose requests per second add up; most rows hold one target. */
export interface LoadRow {
  name: string
  targets: LoadTarget[]
  /** Per round, the sum of its targets' requests per second. */
  rps: number[]
  /** Requests answered in all, warm-up included. */
  requests: number
}

/** A row for {@link measureRows}; give each row targets of its own, since each target records every round it runs in. */
export function loadRow(name: string, ...targets: LoadTarget[]): LoadRow {
  return { name, targets, rps: [], requests: 0 }
}

/**
 * Warms every row up, then measures the rows in alternating rounds, so that
 * a busy neighbour slows all of them alike and each ratio can compare
 * figures of the same round. The targets of a row are loaded at once,
 * `connections` each. Prints one line per round.
 */
export async function measureRows(
  rows: readonly LoadRow[],
  options: Pick<LoadOptions, 'warmup' | 'duration' | 'rounds' | 'connections'>,
): Promise<void> {
  const load = async (row: LoadRow, seconds: number) => {
    const results = await Promise.all(row.targets.map(target => loadTarget(target, seconds, options.connections)))
    for (const result of results) row.requests += result.requests.total
    return results
  }
  for (const row of rows) await load(row, options.warmup)
  for (let round = 1; round <= options.rounds; round++) {
    for (const row of rows) {
      const results = await load(row, options.duration)
      for (const [i, result] of results.entries()) {
        const target = row.targets[i]!
        target.rps.push(result.requests.average)
        target.p50.push(result.latency.p50)
        target.p99.push(result.latency.p99)
      }
      row.rps.push(results.reduce((sum, result) => sum + result.requests.average, 0))
    }
    process.stdout.write(`  round ${round}: ${rows.map(row => Math.round(row.rps.at(-1)!)).join(' / ')} req/s\n`)
  }
}

/** {@link measureRows} with one target a row. */
export function measureRounds(targets: readonly LoadTarget[], options: LoadOptions): Promise<void> {
  return measureRows(
    targets.map(target => loadRow(target.name, target)),
    options,
  )
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

/** Clock ticks per second of `/proc/<pid>/stat`'s CPU times. */
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100

/** CPU seconds (user and system, every thread) a process has used so far, from `/proc/<pid>/stat`. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
}

/** A target whose server process's CPU time is measured, started afresh for every round by `start`. */
export interface CpuTarget extends Omit<LoadTarget, 'url' | 'headers'> {
  start(): Promise<RunningTarget>
  /** Per round: microseconds of the server's CPU time per request. */
  cpu: number[]
}

/** A target's server process, listening: `pid` serves `url`. */
export interface RunningTarget {
  pid: number
  url: string
  headers: Record<string, string>
  stop(): Promise<void>
}

/**
 * Each round starts every target's server afresh, one after the other,
 * sends it `warmup` requests and then `amount`, `connections` at a time,
 * records the CPU time its process spent per request of the `amount`
 * (from `/proc/<pid>/stat`: a figure that a busy neighbour barely moves,
 * unlike requests per second) besides the usual throughput and latencies,
 * and stops it. A process of its own each round, because two processes
 * running the same code on this machine can settle, for as long as they
 * run, up to a third apart in CPU per request (where V8 happened to place
 * their code); each round is then one independent sample of every target,
 * and a ratio of the same round compares two of them. Any failed request
 * fails the bench.
 */
export async function measureCpuRounds(
  targets: readonly CpuTarget[],
  options: { amount: number; warmup: number; rounds: number; connections: number },
): Promise<void> {
  const load = async (target: CpuTarget, running: RunningTarget, amount: number) => {
    const result = await autocannon({
      url: running.url,
      headers: running.headers,
      connections: options.connections,
      amount,
    })
    const failed = result.non2xx + result.errors + result.timeouts
    if (failed > 0)
      throw new Error(
        `${target.name}: ${result.non2xx} non-2xx answers, ${result.errors} errors, ${result.timeouts} timeouts`,
      )
    return result
  }
  for (let round = 1; round <= options.rounds; round++) {
    for (const target of targets) {
      const running = await target.start()
      try {
        await load(target, running, options.warmup)
        const before = cpuSeconds(running.pid)
        const result = await load(target, running, options.amount)
        target.cpu.push(((cpuSeconds(running.pid) - before) / options.amount) * 1e6)
        // autocannon's `duration` is whole seconds: the clock times of the run say it exactly.
        target.rps.push(result.requests.total / ((result.finish.getTime() - result.start.getTime()) / 1000))
        target.p50.push(result.latency.p50)
        target.p99.push(result.latency.p99)
      } finally {
        await running.stop()
      }
    }
    process.stdout.write(
      `  round ${round}: ${targets.map(t => t.cpu.at(-1)!.toFixed(1)).join(' / ')} µs CPU a request\n`,
    )
  }
}
