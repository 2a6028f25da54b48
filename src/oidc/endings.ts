import type { Provider } from 'oidc-provider'
import type { AppContext } from '../context.js'
import type { AttemptCounterStore } from '../storage/attempt-counters.js'
import type { Revocation } from '../storage/revocations.js'
import type { OidcStore } from '../storage/oidc.js'
import { wallClock } from './adapter.js'

/** oidc-provider's client model sends logout tokens itself (its typings leave the method out). */
interface LogoutClient {
  backchannelLogoutUri?: string | undefined
  backchannelLogout(sub: string, sid: string): Promise<void>
}

/** What a provider session records per client it signed in to. */
interface Authorization {
  sid?: string
  grantId?: string
}

/** How often expired artefacts are swept and timed-out sessions looked for. */
const SWEEP_MS = 5_000

/**
 * Ending a login session ends what it issued to OpenID Connect clients:
 * their grants (so refresh tokens fail with `invalid_grant`) and, for every
 * client that registered a back-channel logout URI, a logout token POSTed
 * there, once.
 *
 * Every process hears of every revocation through the revocation log;
 * whichever process takes the session's provider sessions from the database
 * (a delete, so only one can) does the work. A sweep catches what no
 * revocation announced: login sessions past their idle or absolute timeout,
 * which it revokes (so apps on the realtime channel hear of them too), and
 * provider sessions left behind by a process that stopped mid-way.
 */
export class SessionEndings {
  private timer: NodeJS.Timeout | null = null
  private sweeping: Promise<void> = Promise.resolve()
  private readonly pending = new Set<Promise<void>>()

  constructor(
    private readonly ctx: Pick<AppContext, 'config' | 'clock' | 'log' | 'feed' | 'sessions'>,
    private readonly store: OidcStore,
    private readonly provider: () => Provider,
    private readonly counters: AttemptCounterStore,
  ) {}

  private readonly onRevocation = (entry: Revocation): void => {
    if (entry.kind === 'session') this.track(this.end(entry.subject))
  }

  start(): void {
    this.ctx.feed.on('revocation', this.onRevocation)
    this.timer ??= setInterval(() => this.track(this.sweep()), SWEEP_MS).unref()
  }

  /** Stops listening and waits for the work under way (logout tokens being sent). */
  async stop(): Promise<void> {
    this.ctx.feed.off('revocation', this.onRevocation)
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    await Promise.all(this.pending)
  }

  /** Ends what login session `sid` issued, if this process is the one to take it. */
  async end(sid: string): Promise<void> {
    for (const session of await this.store.takeSessions(sid)) {
      const accountId = session.accountId
      const authorizations = (session.authorizations ?? {}) as Record<string, Authorization>
      await Promise.all(
        Object.entries(authorizations).map(([clientId, { sid: clientSid, grantId }]) =>
          this.endFor(clientId, typeof accountId === 'string' ? accountId : undefined, clientSid, grantId),
        ),
      )
    }
  }

  /**
   * One sweep: forgets expired artefacts (and counters of device codes
   * typed whose window has passed), revokes login sessions that timed
   * out with provider sessions still open, and ends those already revoked.
   * Sweeps never overlap, and one that fails does not stop the next.
   */
  sweep(): Promise<void> {
    const run = this.sweeping.then(() => this.sweepOnce())
    this.sweeping = run.catch(() => {})
    return run
  }

  private async sweepOnce(): Promise<void> {
    await this.store.sweep(wallClock())
    await this.counters.sweep(this.ctx.clock.now())
    const { idleSeconds, maxAgeSeconds, leaseSeconds } = this.ctx.config
    const now = this.ctx.clock.now()
    // Candidates only: `sessions.list` decides what is still alive (a valid lease keeps an idle session).
    const cutoffs = {
      refreshedBefore: idleSeconds === null ? null : now - Math.max(idleSeconds, leaseSeconds),
      createdBefore: maxAgeSeconds === null ? null : now - maxAgeSeconds,
    }
    for (const ended of await this.store.endedSessions(cutoffs)) {
      if (ended.revoked || ended.userId === null) await this.end(ended.sid)
      else if (!(await this.ctx.sessions.list(ended.userId)).some(s => s.sid === ended.sid))
        await this.ctx.sessions.revoke(ended.sid)
    }
  }

  private async endFor(clientId: string, accountId?: string, clientSid?: string, grantId?: string): Promise<void> {
    if (grantId) await this.store.revokeGrant(grantId)
    if (!accountId || !clientSid) return
    try {
      const client = (await this.provider().Client.find(clientId)) as LogoutClient | undefined
      if (!client?.backchannelLogoutUri) return
      await client.backchannelLogout(accountId, clientSid)
      this.ctx.log.info({ client: clientId }, 'back-channel logout sent')
    } catch (error) {
      this.ctx.log.warn({ client: clientId, reason: (error as Error).message }, 'back-channel logout failed')
    }
  }

  private track(work: Promise<void>): void {
    const tracked = work
      .catch(error => this.ctx.log.error({ err: error }, 'could not end what a session issued'))
      .finally(() => this.pending.delete(tracked))
    this.pending.add(tracked)
  }
}
