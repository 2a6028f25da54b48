import type { Database } from './database.js'

/**
 * Counters of attempts against a limit, in the database every node shares,
 * so that a limit holds across nodes. Each counter lives for a window; the
 * first attempt after the window has passed starts a new one.
 */
export class AttemptCounterStore {
  constructor(private readonly db: Database) {}

  /**
   * Counts one attempt under `key` and answers the count so far in the
   * current window, this one included. One statement: concurrent attempts
   * each get their own count, so no more than the limit ever pass.
   */
  async count(key: string, now: number, windowSeconds: number): Promise<number> {
    const row = await this.db.sql.one<{ count: number }>(
      `INSERT INTO attempt_counters (key, count, window_ends) VALUES (?, 1, ?)
       ON CONFLICT (key) DO UPDATE SET
         count = CASE WHEN attempt_counters.window_ends <= ? THEN 1 ELSE attempt_counters.count + 1 END,
         window_ends = CASE WHEN attempt_counters.window_ends <= ? THEN excluded.window_ends
                       ELSE attempt_counters.window_ends END
       RETURNING count`,
      [key, now + windowSeconds, now, now],
    )
    return row!.count
  }

  /** Takes back one attempt that turned out not to count (a right code, after a wrong one was reserved). */
  async refund(key: string): Promise<void> {
    await this.db.sql.run('UPDATE attempt_counters SET count = count - 1 WHERE key = ? AND count > 0', [key])
  }

  /** Forgets the counters whose window has passed; answers how many went. */
  sweep(now: number): Promise<number> {
    return this.db.sql.run('DELETE FROM attempt_counters WHERE window_ends <= ?', [now])
  }
}
