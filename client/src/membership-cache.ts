import type { Clock } from './clock.js'
import { UnavailableError } from './connection.js'
import type { GroupExpression } from './protocol.js'

const ANSWER_LIMIT = 100_000

/**
 * Membership answers per user and expression (docs/client-library.md, "What
 * the library does per request"): reused until `ttlMs` has passed or a `membership`
 * push about that user, and beyond the TTL while the server cannot be
 * reached. Concurrent questions about the same user and expression share
 * one request.
 */
export class MembershipCache {
  /** user id → expression key → answer. */
  private readonly answers = new Map<string, Map<string, { member: boolean; at: number }>>()
  private readonly asking = new Map<string, Promise<boolean>>()
  /** How many answers `answers` holds. */
  private count = 0
  /** Bumped by every change: an answer asked for before a change is used once but not kept. */
  private epoch = 0

  constructor(
    /** Asks the server (`query`). */
    private readonly ask: (user: string, expression: GroupExpression) => Promise<boolean>,
    /** Whether the server can be asked right now. */
    private readonly connected: () => boolean,
    private readonly ttlMs: number,
    private readonly clock: Clock,
  ) {}

  /** Whether the user holds the expression; throws when neither the server nor the cache can say. */
  async isMember(user: string, expression: GroupExpression): Promise<boolean> {
    const key = typeof expression === 'string' ? expression : JSON.stringify(expression)
    const cached = this.answers.get(user)?.get(key)
    if (cached && (this.clock.now() - cached.at < this.ttlMs || !this.connected())) return cached.member
    const flight = `${user}\n${key}`
    let pending = this.asking.get(flight)
    if (!pending) {
      const epoch = this.epoch
      pending = this.ask(user, expression)
        .then(member => {
          if (epoch === this.epoch) this.store(user, key, member)
          return member
        })
        .finally(() => this.asking.delete(flight))
      this.asking.set(flight, pending)
    }
    try {
      return await pending
    } catch (error) {
      // Unreachable server: an old answer beats none (a removal made meanwhile is replayed on reconnect).
      if (cached && error instanceof UnavailableError) return cached.member
      throw error
    }
  }

  /** The user's memberships changed (a push, or a grant through this client): their answers go. */
  changed(user: string): void {
    this.epoch++
    this.forget(user)
  }

  /** Drops the answers of one user, or of everybody. */
  forget(user?: string): void {
    if (user === undefined) {
      this.answers.clear()
      this.count = 0
      return
    }
    this.count -= this.answers.get(user)?.size ?? 0
    this.answers.delete(user)
  }

  /** Drops answers past their TTL (kept while the server is unreachable: they are all there is). */
  sweep(): void {
    if (!this.connected()) return
    const stale = this.clock.now() - this.ttlMs
    for (const [user, answers] of this.answers) {
      for (const [key, answer] of answers) {
        if (answer.at < stale) {
          answers.delete(key)
          this.count--
        }
      }
      if (answers.size === 0) this.answers.delete(user)
    }
  }

  private store(user: string, key: string, member: boolean): void {
    let answers = this.answers.get(user)
    if (!answers?.has(key)) {
      if (this.count >= ANSWER_LIMIT) {
        this.sweep()
        // Still full of fresh answers (expressions built per request): start over rather than grow.
        if (this.count >= ANSWER_LIMIT) this.forget()
        answers = this.answers.get(user)
      }
      if (!answers) this.answers.set(user, (answers = new Map()))
      this.count++
    }
    answers.set(key, { member, at: this.clock.now() })
  }
}
