import type { Clock } from '../clock.js'
import type { Database } from '../storage/database.js'
import type { UserStore } from '../storage/users.js'
import type { SessionService } from './sessions.js'

/** Something another area must undo when an account goes (memberships, invitations). Runs inside the deletion transaction. */
export type DeletionStep = (userId: string, now: number) => Promise<void>

/** Account deletion: every session revoked, every registered area cleaned, then the user row. */
export class AccountService {
  private readonly steps: DeletionStep[] = []

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly users: UserStore,
    private readonly sessions: SessionService,
  ) {}

  /** Registers a step to run, in the same transaction, whenever an account is deleted. */
  onDelete(step: DeletionStep): void {
    this.steps.push(step)
  }

  /**
   * Deletes the account, all of it or nothing in one transaction: its
   * sessions revoked, every registered step, the user row retired. False
   * when there was none.
   */
  delete(userId: string): Promise<boolean> {
    const now = this.clock.now()
    return this.db.transaction(async () => {
      if (!(await this.users.get(userId))) return false
      await this.sessions.revokeAll(userId, 'account_deleted')
      for (const step of this.steps) await step(userId, now)
      return this.users.retire(userId, now)
    })
  }
}
