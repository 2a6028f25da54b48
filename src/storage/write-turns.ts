import { writeLockBusy } from './database.js'

/** Ends a turn; calling it again does nothing. */
export type EndTurn = () => void

interface Waiter {
  start: (end: EndTurn) => void
  timer: NodeJS.Timeout
}

/**
 * The turns one process's write transactions take on a PostgreSQL
 * database, first come first served, each waiting at most until the time
 * it is given. The deployment's advisory lock makes every node's writes
 * take turns anyway; taking them here first means that however many writes
 * wait, at most one pooled connection waits with them, and reads always
 * find another (docs/operating.md, "Running several nodes").
 */
export class WriteTurns {
  private busy = false
  private readonly waiting: Waiter[] = []

  /** Resolves once it is this caller's turn; throws `LOGIN_ERR_UNAVAILABLE` when `waitMs` pass first. */
  take(waitMs: number): Promise<EndTurn> {
    if (!this.busy) {
      this.busy = true
      return Promise.resolve(this.turn())
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        start: resolve,
        timer: setTimeout(() => {
          this.waiting.splice(this.waiting.indexOf(waiter), 1)
          reject(writeLockBusy(waitMs))
        }, waitMs),
      }
      this.waiting.push(waiter)
    })
  }

  private turn(): EndTurn {
    let ended = false
    return () => {
      if (ended) return
      ended = true
      const next = this.waiting.shift()
      if (!next) {
        this.busy = false
        return
      }
      clearTimeout(next.timer)
      next.start(this.turn())
    }
  }
}
