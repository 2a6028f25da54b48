import type { GroupExpression } from 'modular-login-client/protocol'
import { BoundedMemo } from 'modular-login-client/bounded-memo'
import type { Clock } from '../clock.js'
import { andThen, type MaybePromise } from '../maybe-promise.js'
import type { RevocationFeed } from '../revocation-feed.js'
import { parseExpression } from './expressions.js'
import type { Judgement, MembershipService } from './membership.js'

/** Users whose answers a node keeps, as many as the sessions it keeps in mind. */
const USER_LIMIT = 100_000
/** Expressions remembered per user: a user never needs more than the site's rules name. */
const EXPRESSIONS_PER_USER = 256

interface Remembered {
  judgement: Judgement
  /** Unix seconds after which it must be asked again (a membership it rests on ends); Infinity: never by itself. */
  until: number
}

/**
 * Membership answers of forward-auth, remembered per user and expression
 * (docs/forward-auth.md, "Access rules"): every change of a user's
 * memberships, additions and expiries included, goes through the
 * revocation feed, which forgets that user's answers, so a remembered
 * answer is as current as the feed. While the feed is behind, every answer
 * is asked of the database again, as sessions are (docs/operating.md,
 * "Running several nodes"). Answered without a promise when remembered:
 * the common case of `/login/check`.
 */
export class MembershipAnswers {
  private readonly byUser: BoundedMemo<string, Map<string, Remembered>>
  /** Bumped by every change heard: an answer asked for before one is used once but not kept. */
  private epoch = 0

  constructor(
    private readonly membership: MembershipService,
    private readonly feed: RevocationFeed,
    private readonly clock: Clock,
  ) {
    this.byUser = new BoundedMemo(USER_LIMIT, () => false)
    feed.on('revocation', entry => {
      if (entry.kind === 'membership') this.forget(entry.userId)
      else if (entry.kind === 'user') this.forget(entry.subject)
    })
  }

  /**
   * Whether `userId` holds `expression` (parsed; `key` names it among the
   * user's answers), which of its paths they hold, and since when.
   */
  judge(userId: string, key: string, expression: GroupExpression): MaybePromise<Judgement> {
    return this.known(userId, key) ?? this.ask(userId, key, expression)
  }

  /** `/login/check?group=`: the expression in text or JSON form; bad syntax is `LOGIN_ERR_BAD_EXPRESSION`. */
  holds(userId: string, expression: string): MaybePromise<boolean> {
    const judgement = this.known(userId, expression) ?? this.ask(userId, expression, parseExpression(expression))
    return andThen(judgement, isMember, undefined, undefined)
  }

  /** A remembered answer that still stands, or undefined. */
  private known(userId: string, key: string): Judgement | undefined {
    const remembered = this.byUser.get(userId)?.get(key)
    return remembered !== undefined && remembered.until > this.clock.now() && this.feed.fresh
      ? remembered.judgement
      : undefined
  }

  private ask(userId: string, key: string, expression: GroupExpression): Promise<Judgement> {
    const epoch = this.epoch
    return this.membership.judge(userId, expression).then(judgement => {
      if (epoch === this.epoch) this.remember(userId, key, judgement)
      return judgement
    })
  }

  private remember(userId: string, key: string, judgement: Judgement): void {
    let answers = this.byUser.get(userId)
    if (answers === undefined) this.byUser.set(userId, (answers = new Map()))
    else if (answers.size >= EXPRESSIONS_PER_USER && !answers.has(key)) answers.clear()
    answers.set(key, { judgement, until: judgement.until ?? Infinity })
  }

  private forget(userId: string): void {
    this.epoch++
    this.byUser.delete(userId)
  }
}

function isMember(judgement: Judgement): boolean {
  return judgement.member
}
