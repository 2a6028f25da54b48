import { createHash, randomUUID } from 'node:crypto'
import type { Database } from './database.js'

/** What every application sees of a person. `id` is this service's UUID. */
export interface User {
  id: string
  name: string
  picture: string
}

export interface Identity {
  provider: string
  providerUserId: string
  userId: string
  created: number
}

export interface Profile {
  provider: string
  providerUserId: string
  name: string
  picture: string
}

/** How a deleted account's identity is remembered: enough to recognise it, not to name it. */
function identityHash(provider: string, providerUserId: string): Buffer {
  return createHash('sha256').update(`${provider}:${providerUserId}`).digest()
}

const IDENTITY_COLUMNS = 'provider, provider_user_id AS "providerUserId", user_id AS "userId", created'

/** Users and the provider identities that lead to them. */
export class UserStore {
  constructor(private readonly db: Database) {}

  get(id: string): Promise<User | undefined> {
    return this.db.sql.one<User>('SELECT id, name, picture FROM users WHERE id = ? AND deleted IS NULL', [id])
  }

  findByIdentity(provider: string, providerUserId: string): Promise<User | undefined> {
    return this.db.sql.one<User>(
      `SELECT u.id, u.name, u.picture FROM identities i JOIN users u ON u.id = i.user_id
       WHERE i.provider = ? AND i.provider_user_id = ?`,
      [provider, providerUserId],
    )
  }

  /**
   * The user behind (provider, provider user id), created when absent with
   * the given profile, or refreshed with it (name and picture follow the
   * provider at every sign-in).
   */
  upsertFromProfile(profile: Profile, now: number): Promise<User> {
    return this.db.transaction(async () => {
      const existing = await this.findByIdentity(profile.provider, profile.providerUserId)
      if (!existing) return this.create(profile, now)
      await this.db.sql.run('UPDATE users SET name = ?, picture = ? WHERE id = ?', [
        profile.name,
        profile.picture,
        existing.id,
      ])
      return { id: existing.id, name: profile.name, picture: profile.picture }
    })
  }

  /**
   * The user behind (provider, provider user id), creating a placeholder
   * named after the provider id when nobody has signed in with it yet: group
   * owners are named before they ever sign in, and their first sign-in must
   * land on the same account.
   */
  ensureForIdentity(provider: string, providerUserId: string, now: number): Promise<User> {
    return this.db.transaction(
      async () =>
        (await this.findByIdentity(provider, providerUserId)) ??
        this.create({ provider, providerUserId, name: providerUserId, picture: '' }, now),
    )
  }

  /** Attaches another provider identity to an existing user (account linking). */
  async link(userId: string, provider: string, providerUserId: string, now: number): Promise<void> {
    await this.db.sql.run('INSERT INTO identities (provider, provider_user_id, user_id, created) VALUES (?, ?, ?, ?)', [
      provider,
      providerUserId,
      userId,
      now,
    ])
  }

  /** Detaches an identity; answers whether one was removed. */
  async unlink(userId: string, provider: string, providerUserId: string): Promise<boolean> {
    const removed = await this.db.sql.run(
      'DELETE FROM identities WHERE user_id = ? AND provider = ? AND provider_user_id = ?',
      [userId, provider, providerUserId],
    )
    return removed > 0
  }

  identities(userId: string): Promise<Identity[]> {
    return this.db.sql.all<Identity>(
      `SELECT ${IDENTITY_COLUMNS} FROM identities WHERE user_id = ? ORDER BY created, provider`,
      [userId],
    )
  }

  /**
   * Deletes the account: its name and picture go, and its identities, so
   * that signing in with them again makes a new account. The row itself
   * stays (marked deleted), because the memberships it held stay in the
   * invitation chains that limits are counted along; the identities are
   * remembered as hashes, so the new account cannot accept again what the
   * old one accepted. Call inside the deletion transaction.
   */
  async retire(id: string, now: number): Promise<boolean> {
    const marked = await this.db.sql.run(
      `UPDATE users SET name = '', picture = '', deleted = ? WHERE id = ? AND deleted IS NULL`,
      [now, id],
    )
    if (marked === 0) return false
    for (const identity of await this.identities(id)) {
      await this.db.sql.run(
        `INSERT INTO retired_identities (identity_hash, user_id, retired) VALUES (?, ?, ?)
         ON CONFLICT (identity_hash, user_id) DO NOTHING`,
        [identityHash(identity.provider, identity.providerUserId), id, now],
      )
    }
    await this.db.sql.run('DELETE FROM identities WHERE user_id = ?', [id])
    return true
  }

  /** The deleted accounts that one of this user's identities signed in to before. */
  async formerAccounts(userId: string): Promise<string[]> {
    const former: string[] = []
    for (const identity of await this.identities(userId)) {
      const rows = await this.db.sql.all<{ userId: string }>(
        'SELECT user_id AS "userId" FROM retired_identities WHERE identity_hash = ?',
        [identityHash(identity.provider, identity.providerUserId)],
      )
      former.push(...rows.map(row => row.userId))
    }
    return former
  }

  /**
   * A new account that no provider identity leads to (one that signs in
   * with a passkey), under the id its passkey was made for.
   */
  async insert(user: User, now: number): Promise<void> {
    await this.db.sql.run('INSERT INTO users (id, name, picture, created) VALUES (?, ?, ?, ?)', [
      user.id,
      user.name,
      user.picture,
      now,
    ])
  }

  private async create(profile: Profile, now: number): Promise<User> {
    const user = { id: randomUUID(), name: profile.name, picture: profile.picture }
    await this.insert(user, now)
    await this.link(user.id, profile.provider, profile.providerUserId, now)
    return user
  }
}
