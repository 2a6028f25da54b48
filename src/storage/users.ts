import { createHash, randomUUID } from 'node:crypto'
import type { Db } from './db.js'
import { immediate } from './db.js'

/** How a deleted account's identity is remembered: enough to recognise it, not to name it. */
function identityHash(provider: string, providerUserId: string): Buffer {
  return createHash('sha256').update(`${provider}:${providerUserId}`).digest()
}

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

/** Users and the provider identities that lead to them. */
export class UserStore {
  private readonly byId
  private readonly byIdentity
  private readonly insertUser
  private readonly insertIdentity
  private readonly updateProfile
  private readonly identitiesOf
  private readonly removeIdentity
  private readonly markDeleted
  private readonly insertRetired
  private readonly removeIdentities
  private readonly retiredFor

  constructor(private readonly db: Db) {
    this.byId = db.prepare<[string], User>('SELECT id, name, picture FROM users WHERE id = ? AND deleted IS NULL')
    this.byIdentity = db.prepare<[string, string], User>(
      `SELECT u.id, u.name, u.picture FROM identities i JOIN users u ON u.id = i.user_id
       WHERE i.provider = ? AND i.provider_user_id = ?`,
    )
    this.insertUser = db.prepare('INSERT INTO users (id, name, picture, created) VALUES (?, ?, ?, ?)')
    this.insertIdentity = db.prepare(
      'INSERT INTO identities (provider, provider_user_id, user_id, created) VALUES (?, ?, ?, ?)',
    )
    this.updateProfile = db.prepare('UPDATE users SET name = ?, picture = ? WHERE id = ?')
    this.identitiesOf = db.prepare<[string], Identity>(
      `SELECT provider, provider_user_id AS providerUserId, user_id AS userId, created
       FROM identities WHERE user_id = ? ORDER BY created, provider`,
    )
    this.removeIdentity = db.prepare(
      'DELETE FROM identities WHERE user_id = ? AND provider = ? AND provider_user_id = ?',
    )
    this.markDeleted = db.prepare(
      `UPDATE users SET name = '', picture = '', deleted = ? WHERE id = ? AND deleted IS NULL`,
    )
    this.insertRetired = db.prepare(
      'INSERT OR IGNORE INTO retired_identities (identity_hash, user_id, retired) VALUES (?, ?, ?)',
    )
    this.removeIdentities = db.prepare('DELETE FROM identities WHERE user_id = ?')
    this.retiredFor = db
      .prepare<[Buffer], string>('SELECT user_id FROM retired_identities WHERE identity_hash = ?')
      .pluck()
  }

  get(id: string): User | undefined {
    return this.byId.get(id)
  }

  findByIdentity(provider: string, providerUserId: string): User | undefined {
    return this.byIdentity.get(provider, providerUserId)
  }

  /**
   * The user behind (provider, provider user id), created when absent with
   * the given profile, or refreshed with it (name and picture follow the
   * provider at every sign-in).
   */
  upsertFromProfile(profile: Profile, now: number): User {
    return immediate(this.db, () => {
      const existing = this.byIdentity.get(profile.provider, profile.providerUserId)
      if (existing) {
        this.updateProfile.run(profile.name, profile.picture, existing.id)
        return { id: existing.id, name: profile.name, picture: profile.picture }
      }
      return this.create(profile, now)
    })
  }

  /**
   * The user behind (provider, provider user id), creating a placeholder
   * named after the provider id when nobody has signed in with it yet: group
   * owners are named before they ever sign in, and their first sign-in must
   * land on the same account.
   */
  ensureForIdentity(provider: string, providerUserId: string, now: number): User {
    return immediate(
      this.db,
      () =>
        this.byIdentity.get(provider, providerUserId) ??
        this.create({ provider, providerUserId, name: providerUserId, picture: '' }, now),
    )
  }

  /** Attaches another provider identity to an existing user (account linking). */
  link(userId: string, provider: string, providerUserId: string, now: number): void {
    this.insertIdentity.run(provider, providerUserId, userId, now)
  }

  /** Detaches an identity; answers whether one was removed. */
  unlink(userId: string, provider: string, providerUserId: string): boolean {
    return this.removeIdentity.run(userId, provider, providerUserId).changes > 0
  }

  identities(userId: string): Identity[] {
    return this.identitiesOf.all(userId)
  }

  /**
   * Deletes the account: its name and picture go, and its identities, so
   * that signing in with them again makes a new account. The row itself
   * stays (marked deleted), because the memberships it held stay in the
   * invitation chains that limits are counted along; the identities are
   * remembered as hashes, so the new account cannot accept again what the
   * old one accepted. Call inside the deletion transaction.
   */
  retire(id: string, now: number): boolean {
    if (this.markDeleted.run(now, id).changes === 0) return false
    for (const identity of this.identitiesOf.all(id)) {
      this.insertRetired.run(identityHash(identity.provider, identity.providerUserId), id, now)
    }
    this.removeIdentities.run(id)
    return true
  }

  /** The deleted accounts that one of this user's identities signed in to before. */
  formerAccounts(userId: string): string[] {
    return this.identitiesOf
      .all(userId)
      .flatMap(identity => this.retiredFor.all(identityHash(identity.provider, identity.providerUserId)))
  }

  private create(profile: Profile, now: number): User {
    const user = { id: randomUUID(), name: profile.name, picture: profile.picture }
    this.insertUser.run(user.id, user.name, user.picture, now)
    this.insertIdentity.run(profile.provider, profile.providerUserId, user.id, now)
    return user
  }
}
