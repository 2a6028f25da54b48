import type { CDPSession, Page } from 'playwright-core'

/** A credential as the protocol's `WebAuthn.Credential` holds it (binary fields in base64). */
export interface StoredCredential {
  credentialId: string
  isResidentCredential: boolean
  rpId?: string
  /** PKCS#8 */
  privateKey: string
  userHandle?: string
  signCount: number
  backupEligibility?: boolean
  backupState?: boolean
}

/** The authenticator's settings that tests change (the protocol's `VirtualAuthenticatorOptions`). */
export interface AuthenticatorSettings {
  defaultBackupEligibility?: boolean
  defaultBackupState?: boolean
  isUserVerified?: boolean
}

/**
 * Chromium's virtual authenticator (the DevTools protocol's `WebAuthn`
 * domain) on one page: a platform authenticator ("internal", like a
 * phone's or a laptop's) that keeps discoverable credentials, verifies its
 * user and answers at once. It lives as long as the page and follows its
 * navigations. Nothing about WebAuthn is imitated: Chromium makes and
 * signs the credentials, the page's script and the server see real ones.
 */
export class VirtualAuthenticator {
  private constructor(
    readonly cdp: CDPSession,
    readonly id: string,
  ) {}

  static async on(page: Page, options: AuthenticatorSettings = {}) {
    const cdp = await page.context().newCDPSession(page)
    await cdp.send('WebAuthn.enable', { enableUI: false })
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
        ...options,
      },
    })
    return new VirtualAuthenticator(cdp, authenticatorId)
  }

  async credentials(): Promise<StoredCredential[]> {
    return (await this.cdp.send('WebAuthn.getCredentials', { authenticatorId: this.id })).credentials
  }

  /** Puts a credential (one read from another authenticator, say) into this one. */
  async add(credential: StoredCredential): Promise<void> {
    await this.cdp.send('WebAuthn.addCredential', { authenticatorId: this.id, credential })
  }

  /**
   * Spoils every later answer (until called again without them): a
   * signature of zeros, or the flag that says the user was verified left
   * unset although the authenticator says it verified them.
   */
  async spoil(bits: { isBogusSignature?: boolean; isBadUV?: boolean }): Promise<void> {
    await this.cdp.send('WebAuthn.setResponseOverrideBits', { authenticatorId: this.id, ...bits })
  }
}

/** A credential id as the server names it (base64url) from the protocol's base64. */
export function credentialIdOf(credential: StoredCredential): string {
  return Buffer.from(credential.credentialId, 'base64').toString('base64url')
}
