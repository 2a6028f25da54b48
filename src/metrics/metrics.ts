import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { AppMessage } from 'modular-login-client/protocol'

/** What the gauges read at each scrape; given once the context's services exist ({@link Metrics.watch}). */
export interface Probes {
  /** Whether the cache answers a write and a read right now. */
  cacheUp(): Promise<boolean>
  /** Age of the oldest revocation this process has not applied yet (0 when caught up). */
  feedLagSeconds(): Promise<number>
}

// Apps choose the text of `type`: only the protocol's own names become label values.
const MESSAGE_TYPES = new Set<string>([
  'hello',
  'refresh',
  'query',
  'ensure',
  'grant',
  'remove',
  'ping',
] satisfies AppMessage['type'][])

/**
 * A label for why something failed: the error's `LOGIN_ERR_*` code without
 * its prefix (`LOGIN_ERR_INVITATION_GONE` → `invitation_gone`), `internal`
 * for anything unexpected, so label values stay a short, known list.
 */
export function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && code.startsWith('LOGIN_ERR_') ? code.slice(10).toLowerCase() : 'internal'
}

/**
 * The Prometheus metrics of one server (listed in docs/operating.md, "Metrics").
 * Each app instance has its own registry, so several servers built in one
 * process (tests) count apart; `/metrics` serves it on its own port.
 */
export class Metrics {
  readonly registry = new Registry()
  /** `http://<host>:<port>/metrics` once served (`LOGIN_METRICS_PORT`), else null. */
  url: string | null = null
  private probes: Probes | null = null
  private processMetrics = false

  readonly httpDuration = new Histogram({
    name: 'login_http_request_duration_seconds',
    help: 'HTTP requests by route pattern, method and status class',
    labelNames: ['route', 'method', 'status_class'] as const,
    registers: [this.registry],
  })

  readonly signIns = new Counter({
    name: 'login_sign_ins_total',
    help: 'Completed sign-in attempts by provider and outcome (success, or the error code that ended it)',
    labelNames: ['provider', 'outcome'] as const,
    registers: [this.registry],
  })

  readonly sessionsRevoked = new Counter({
    name: 'login_sessions_revoked_total',
    help: 'Sessions ended, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  })

  /** `/login/check` answers by result, not yet added to `login_check_total` ({@link countCheck}). */
  private readonly uncountedChecks = new Map<string, number>()

  private readonly checks = new Counter({
    name: 'login_check_total',
    help: 'Forward-auth answers of /login/check by result',
    labelNames: ['result'] as const,
    registers: [this.registry],
    collect: () => {
      for (const [result, count] of this.uncountedChecks) this.checks.inc({ result }, count)
      this.uncountedChecks.clear()
    },
  })

  /**
   * Counts a `/login/check` answer. Added to the counter when it is read
   * (a scrape): prom-client's `inc` works out its labels' key on every
   * call, a cost that every request a proxy lets through would pay.
   */
  countCheck(result: string): void {
    this.uncountedChecks.set(result, (this.uncountedChecks.get(result) ?? 0) + 1)
  }

  readonly realtimeConnections = new Gauge({
    name: 'login_realtime_connections',
    help: 'Open websocket connections of client applications',
    registers: [this.registry],
  })

  readonly realtimeMessages = new Counter({
    name: 'login_realtime_messages_total',
    help: 'Messages received from client applications, by type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  })

  readonly cacheErrors = new Counter({
    name: 'login_cache_errors_total',
    help: 'Cache operations that failed (unreachable, timed out or refused); the request went on without the cache',
    registers: [this.registry],
  })

  readonly cacheUp = new Gauge({
    name: 'login_cache_up',
    help: '1 when the cache answered a write and a read at this scrape, else 0',
    registers: [this.registry],
    collect: async () => {
      if (this.probes) this.cacheUp.set((await this.probes.cacheUp()) ? 1 : 0)
    },
  })

  readonly invitationsAccepted = new Counter({
    name: 'login_invitations_accepted_total',
    help: 'Invitation links accepted',
    registers: [this.registry],
  })

  readonly invitationsRefused = new Counter({
    name: 'login_invitations_refused_total',
    help: 'Invitation acceptances refused, by the error code',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  })

  readonly feedLag = new Gauge({
    name: 'login_revocation_feed_lag_seconds',
    help: 'Age of the oldest revocation this process has not applied yet (0 when caught up)',
    registers: [this.registry],
    collect: async () => {
      if (!this.probes) return
      try {
        this.feedLag.set(await this.probes.feedLagSeconds())
      } catch {
        // An unreadable log leaves the gauge where it was; /login/ready says why.
      }
    },
  })

  /** Connects the gauges read at scrape time to the services they measure. */
  watch(probes: Probes): void {
    this.probes = probes
  }

  /**
   * Adds prom-client's default process metrics (CPU, memory, event loop,
   * GC). Only for a registry that is served: they start observers that live
   * as long as the process.
   */
  collectProcessMetrics(): void {
    if (this.processMetrics) return
    this.processMetrics = true
    collectDefaultMetrics({ register: this.registry })
  }

  /** Counts a message from an app by its type. */
  realtimeMessage(type: string): void {
    this.realtimeMessages.inc({ type: MESSAGE_TYPES.has(type) ? type : 'unknown' })
  }

  /** Awaits the end of a provider's sign-in flow, counting a failure by its code (success is counted once signed in). */
  async signInFlow<T>(provider: string, flow: Promise<T>): Promise<T> {
    try {
      return await flow
    } catch (error) {
      this.signIns.inc({ provider, outcome: reasonOf(error) })
      throw error
    }
  }

  /** Runs an acceptance, counting it as accepted or as refused with the reason. */
  async invitationAcceptance<T>(accept: () => Promise<T>): Promise<T> {
    try {
      const accepted = await accept()
      this.invitationsAccepted.inc()
      return accepted
    } catch (error) {
      this.invitationsRefused.inc({ reason: reasonOf(error) })
      throw error
    }
  }
}
