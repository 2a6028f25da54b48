import type {
  AuthenticationResponseJSON,
  AuthenticatorTransportFuture,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server'
import type { Config } from '../config.js'
import { errors } from '../errors.js'
import type { Passkey } from '../storage/passkeys.js'

/** COSE algorithms accepted for a new passkey, most preferred first: ES256, EdDSA, RS256. */
const ALGORITHMS = [-7, -8, -257]

/** What a verified registration leaves to store. */
export interface NewCredential {
  credentialId: string
  publicKey: Buffer
  counter: number
  transports: string[]
  backupEligible: boolean
  backedUp: boolean
}

/** What a verified sign-in says of the passkey now. */
export interface VerifiedUse {
  counter: number
  backedUp: boolean
}

/** The account a passkey is made for, as the authenticator shows and keeps it. */
export interface PasskeyHolder {
  /** This service's user id: the WebAuthn user handle is its bytes. */
  id: string
  /** What the authenticator lists the passkey under (the person's name). */
  name: string
}

// Loaded at the first ceremony: its certificate libraries would add a noticeable part of a second to the start of
// every process (and every test) that never sees one.
let library: Promise<typeof import('@simplewebauthn/server')> | undefined
function webauthn() {
  library ??= import('@simplewebauthn/server')
  return library
}

/** The WebAuthn user handle of an account: its id's bytes. */
function userHandleOf(userId: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(userId, 'utf8'))
}

/** The account id a user handle (base64url, as the browser sends it) names. */
export function userIdOfHandle(handle: string): string {
  return Buffer.from(handle, 'base64url').toString('utf8')
}

/**
 * A verification that threw, as LOGIN_ERR_PASSKEY: what failed (`what`),
 * then the library's own words, which name the check (an origin, the
 * relying-party ID, user verification) or the part it could not read.
 */
function refusal(what: string) {
  return (error: unknown): never => {
    const detail = error instanceof Error ? error.message.slice(0, 300) : String(error).slice(0, 300)
    throw new errors.Passkey(`${what}: ${detail}`)
  }
}

/**
 * This site as a WebAuthn relying party (docs/passkeys.md, "How passkeys are checked"): its ID is the
 * site's parent domain (the lease cookie's), so one passkey serves every
 * subdomain; answers are accepted from the configured origins only. Every
 * passkey is discoverable (signing in needs no name), verified by the
 * person (PIN or biometrics) and made without attestation.
 */
export class RelyingParty {
  readonly id: string
  readonly origins: readonly string[]

  constructor(
    config: Pick<Config, 'site' | 'passkeyOrigins' | 'publicUrl'>,
    /** How long the browser waits for the person, in milliseconds (the challenge's lifetime). */
    private readonly timeoutMs: number,
  ) {
    this.id = config.site
    this.origins = config.passkeyOrigins ?? [new URL(config.publicUrl).origin]
  }

  /** Options for `navigator.credentials.create`, leaving out the passkeys the account already has. */
  async creationOptions(
    holder: PasskeyHolder,
    existing: readonly Passkey[],
  ): Promise<PublicKeyCredentialCreationOptionsJSON> {
    return (await webauthn()).generateRegistrationOptions({
      rpName: this.id,
      rpID: this.id,
      userID: userHandleOf(holder.id),
      userName: holder.name,
      userDisplayName: holder.name,
      timeout: this.timeoutMs,
      attestationType: 'none',
      excludeCredentials: existing.map(p => ({ id: p.credentialId, transports: transportsOf(p.transports) })),
      authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
      supportedAlgorithmIDs: ALGORITHMS,
    })
  }

  /** Options for `navigator.credentials.get` with any of the site's passkeys (discoverable: no name asked). */
  async requestOptions(): Promise<PublicKeyCredentialRequestOptionsJSON> {
    return (await webauthn()).generateAuthenticationOptions({
      rpID: this.id,
      timeout: this.timeoutMs,
      userVerification: 'required',
    })
  }

  /** Verifies a new passkey made for `challenge`; throws LOGIN_ERR_PASSKEY saying why it is refused. */
  async verifyCreation(response: RegistrationResponseJSON, challenge: string): Promise<NewCredential> {
    const { verifyRegistrationResponse } = await webauthn()
    const result = await verifyRegistrationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: [...this.origins],
      expectedRPID: this.id,
      requireUserVerification: true,
      supportedAlgorithmIDs: ALGORITHMS,
    }).catch(refusal('the new passkey does not verify'))
    if (!result.verified) throw new errors.Passkey('the new passkey does not verify')
    const info = result.registrationInfo
    return {
      credentialId: info.credential.id,
      publicKey: Buffer.from(info.credential.publicKey),
      counter: info.credential.counter,
      transports: info.credential.transports ?? [],
      backupEligible: info.credentialDeviceType === 'multiDevice',
      backedUp: info.credentialBackedUp,
    }
  }

  /** Verifies a sign-in with `passkey` for `challenge`; throws LOGIN_ERR_PASSKEY saying why it is refused. */
  async verifyRequest(response: AuthenticationResponseJSON, challenge: string, passkey: Passkey): Promise<VerifiedUse> {
    const { verifyAuthenticationResponse } = await webauthn()
    const result = await verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: [...this.origins],
      expectedRPID: this.id,
      credential: {
        id: passkey.credentialId,
        publicKey: new Uint8Array(passkey.publicKey),
        counter: passkey.counter,
        transports: transportsOf(passkey.transports),
      },
      requireUserVerification: true,
    }).catch(refusal("the passkey's answer does not verify"))
    if (!result.verified) throw new errors.Passkey("the passkey's answer does not verify: its signature is wrong")
    return { counter: result.authenticationInfo.newCounter, backedUp: result.authenticationInfo.credentialBackedUp }
  }
}

function transportsOf(stored: readonly string[]): AuthenticatorTransportFuture[] {
  return stored as AuthenticatorTransportFuture[]
}
