import { randomUUID } from 'node:crypto'
import type { Db } from './db.js'
import { immediate } from './db.js'

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
  private readonly removeUser

  constructor(private readonly db: Db) {
    this.byId = db.prepare<[string], User>('SELECT id, name, picture FROM users WHERE id = ?')
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
    this.removeUser = db.prepare('DELETE FROM users WHERE id = ?')
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

  /** Deletes the user; identities and sessions go with it (foreign keys cascade). */
  delete(id: string): boolean {
    return this.removeUser.run(id).changes > 0
  }

  private create(profile: Profile, now: number): User {
    const user = { id: randomUUID(), name: profile.name, picture: profile.picture }
    this.insertUser.run(user.id, user.name, user.picture, now)
    this.insertIdentity.run(profile.provider, profile.providerUserId, user.id, now)
    return user
  }
}
