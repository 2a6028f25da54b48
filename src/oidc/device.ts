import { createHash } from 'node:crypto'
import type { Client, DeviceCode, Provider } from 'oidc-provider'
import type { SignedIn } from '../signed-in/signed-in.js'
import type { Clock } from '../clock.js'
import type { Config } from '../config.js'
import { errors } from '../errors.js'
import type { AttemptCounterStore } from '../storage/attempt-counters.js'
import type { OidcAccounts } from './accounts.js'
import { SESSION_TTL } from './provider.js'
import { mirrorOf } from './session-binding.js'
import type { SignInOf } from './sign-in-of.js'

/** Wrong codes one client address may type in {@link WRONG_CODE_WINDOW} seconds. */
export const WRONG_CODES_PER_ADDRESS = 10
const WRONG_CODE_WINDOW = 600
/** Times one code may be looked up (shown, then allowed or denied: two for a person who does it once). */
export const TRIES_PER_CODE = 6
/** Scopes a device may be given: the OpenID ones this server offers (docs/openid-provider.md, "Claims"). */
const OIDC_SCOPES = new Set(['openid', 'offline_access', 'profile', 'email', 'groups'])
const MAX_CODE = 32

/** A user code as oidc-provider keeps it: letters upper-cased, anything but letters and digits left out. */
export function normaliseUserCode(typed: string): string {
  return typed.toUpperCase().replace(/[^A-Z0-9]/g, '')
}

/** A pending device sign-in, as the page shows it. */
export interface PendingDevice {
  /** The code as the device shows it (`WXYZ-BCDF`). */
  userCode: string
  code: DeviceCode
  client: Client
  /** Where the device asked from: its address and user agent. */
  device: { ip: string | null; userAgent: string | null }
  /** Unix seconds. */
  expires: number
}

/** What a decision came to: approved, declined by the person, or refused (not a member of the app's --require). */
export type DeviceOutcome = 'approved' | 'declined' | 'refused'

function hashed(value: string): string {
  return createHash('sha256').update(value).digest('base64url')
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value.slice(0, 512) : null
}

/**
 * Device sign-in (RFC 8628) on this site's side (docs/openid-provider.md,
 * "Device sign-in"): the person at `/login/device` types or scans the code
 * the device shows, sees which app asks, and allows or declines. Allowing
 * fills the device code in as oidc-provider's own verification step would:
 * the grant, the login session it belongs to (whose end ends it, as for the
 * code flow), the scopes asked for; the device's next poll of the token
 * endpoint then gets its tokens. Wrong codes are counted per client address
 * and every look-up per code, in the shared database.
 */
export class DeviceSignIn {
  constructor(
    private readonly provider: () => Provider,
    private readonly accounts: OidcAccounts,
    private readonly counters: AttemptCounterStore,
    private readonly ctx: { config: Config; clock: Clock },
    private readonly signInOf: SignInOf,
  ) {}

  /**
   * The pending sign-in `typed` stands for. Counted: a wrong code against
   * the address (LOGIN_ERR_RATE_LIMITED past the limit, right codes
   * included, so that guessing stops), and every look-up against the code.
   */
  async find(typed: string, ip: string): Promise<PendingDevice> {
    const normalised = normaliseUserCode(typed.slice(0, MAX_CODE))
    if (normalised === '') throw new errors.DeviceCode('type the code your device shows')
    const now = this.ctx.clock.now()
    const codeKey = `device-code:${hashed(normalised)}`
    if ((await this.counters.count(codeKey, now, this.ctx.config.deviceCodeSeconds)) > TRIES_PER_CODE)
      throw new errors.RateLimited('a while: this code was tried too often; start again on the device')
    const addressKey = `device-ip:${ip}`
    // Counted before the look-up, taken back for a right code: concurrent wrong guesses cannot outrun the limit.
    if ((await this.counters.count(addressKey, now, WRONG_CODE_WINDOW)) > WRONG_CODES_PER_ADDRESS)
      throw new errors.RateLimited(`${WRONG_CODE_WINDOW / 60} minutes: too many wrong codes from this address`)
    const provider = this.provider()
    const code = await provider.DeviceCode.findByUserCode(normalised)
    if (!code)
      throw new errors.DeviceCode(
        // Messages never repeat the code: they are logged, and a code typed wrong may be a real one's near miss.
        'no sign-in waits for this code: check it against your device, or start again there ' +
          `(codes last ${Math.round(this.ctx.config.deviceCodeSeconds / 60)} minutes)`,
      )
    await this.counters.refund(addressKey)
    if (code.error || code.accountId || code.inFlight)
      throw new errors.DeviceCode('this code was already used; start again on your device')
    const client = code.clientId === undefined ? undefined : await provider.Client.find(code.clientId)
    if (!client) throw new errors.DeviceCode('the app that asked with this code was removed')
    const info = code.deviceInfo ?? {}
    return {
      userCode: code.userCode.replace(/^(.{4})(.+)$/, '$1-$2'),
      code,
      client,
      device: { ip: text(info.ip), userAgent: text(info.ua) },
      expires: code.exp ?? now,
    }
  }

  /**
   * The person's answer. Allowing needs them to meet the app's `--require`
   * (as the code flow does); otherwise, and when they decline, the device
   * is told `access_denied` at its next poll.
   */
  async decide(pending: PendingDevice, signedIn: SignedIn, allow: boolean): Promise<DeviceOutcome> {
    const { code, client } = pending
    // One decision per code, whichever request (another tab, another node) gets there first.
    const decision = `device-decision:${hashed(code.jti)}`
    if ((await this.counters.count(decision, this.ctx.clock.now(), this.ctx.config.deviceCodeSeconds)) > 1)
      throw new errors.DeviceCode('this code was already used; start again on your device')
    if (!allow) {
      await this.refuse(code, 'the person declined the sign-in')
      return 'declined'
    }
    if (!(await this.accounts.admits(client.clientId, signedIn.user.id))) {
      await this.refuse(code, 'the user is not a member of the group this app admits')
      return 'refused'
    }
    await this.approve(code, client, signedIn)
    return 'approved'
  }

  private async refuse(code: DeviceCode, description: string): Promise<void> {
    Object.assign(code, { error: 'access_denied', errorDescription: description })
    await code.save()
  }

  /** What oidc-provider's verification step records, for a person signed in here (its `deviceVerificationResponse`). */
  private async approve(code: DeviceCode, client: Client, signedIn: SignedIn): Promise<void> {
    const provider = this.provider()
    const { clientId } = client
    const accountId = signedIn.user.id
    const session = await mirrorOf(provider, signedIn, this.signInOf)
    session.ensureClientContainer(clientId)
    const existing = session.grantIdFor(clientId)
    const found = existing ? await provider.Grant.find(existing) : undefined
    const grant = found?.accountId === accountId ? found : new provider.Grant({ accountId, clientId })
    const asked = String(code.params?.scope ?? '')
      .split(' ')
      .filter(scope => OIDC_SCOPES.has(scope))
    grant.addOIDCScope(asked.join(' '))
    const grantId = await grant.save()
    session.grantIdFor(clientId, grantId)
    await session.save(SESSION_TTL)
    Object.assign(code, {
      accountId,
      authTime: session.authTime(),
      // How the session began, as for the code flow (a passkey's amr goes into the device's ID tokens too).
      ...(session.amr && { amr: session.amr }),
      grantId,
      scope: asked.join(' '),
      sessionUid: session.uid,
      // As for the code flow: without offline_access, what is issued lasts no longer than the session.
      ...(!asked.includes('offline_access') && { expiresWithSession: true }),
      ...(client.backchannelLogoutUri && { sid: session.sidFor(clientId) }),
    })
    await code.save()
  }
}
