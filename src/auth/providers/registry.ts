/** A way to sign in, as shown on the `/login` page. */
export interface ProviderEntry {
  /** `test`, `google`, `oidc:<name>`, ... */
  id: string
  /** Button text. */
  label: string
  /** Where the sign-in starts, relative to the server root (`/login/google`). */
  path: string
  /** Where a signed-in user links this provider to their account; absent when it cannot be linked. */
  linkPath?: string
}

/** The providers this server offers, in the order they are shown. */
export class ProviderRegistry {
  private readonly entries = new Map<string, ProviderEntry>()

  add(entry: ProviderEntry): void {
    this.entries.set(entry.id, entry)
  }

  has(id: string): boolean {
    return this.entries.has(id)
  }

  list(): ProviderEntry[] {
    return [...this.entries.values()]
  }
}
