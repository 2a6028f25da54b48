import type { Clock } from '../clock.js'
import { immediate, type Db } from '../storage/db.js'
import type { UserStore } from '../storage/users.js'
import type { SessionService } from './sessions.js'

/** Something another area must undo when an account goes (memberships, invitations). Runs inside the deletion transaction. */
export type DeletionStep = (userId: string, now: number) => void

/** Account deletion: every session revoked, every registered area cleaned, then the user row. */
export class AccountService {
  private readonly steps: DeletionStep[] = []

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly users: UserStore,
    private readonly sessions: SessionService,
  ) {}

  /** Registers a step to run, in the same transaction, whenever an account is deleted. */
  onDelete(step: DeletionStep): void {
    this.steps.push(step)
  }

  /** Deletes the account; false when there was none. */
  async delete(userId: string): Promise<boolean> {
    if (!this.users.get(userId)) return false
    await this.sessions.revokeAll(userId)
    const now = this.clock.now()
    return immediate(this.db, () => {
      for (const step of this.steps) step(userId, now)
      return this.users.retire(userId, now)
    })
  }
}
