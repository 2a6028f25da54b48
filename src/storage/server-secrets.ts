import type { Database } from './database.js'

/** Secrets every node must share (the key of the form tokens, ...), by name. */
export class ServerSecretStore {
  constructor(private readonly db: Database) {}

  /**
   * The secret named `name`, made with `create` by whichever node asks
   * first; every other node reads that one.
   */
  async loadOrCreate(name: string, create: () => string, now: number): Promise<string> {
    await this.db.sql.run(
      'INSERT INTO server_secrets (name, value, created) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING',
      [name, create(), now],
    )
    const row = await this.db.sql.one<{ value: string }>('SELECT value FROM server_secrets WHERE name = ?', [name])
    return row!.value
  }
}
