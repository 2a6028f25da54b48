import type { Clock } from '../clock.js'
import { errors } from '../errors.js'
import type { ChallengePurpose, PasskeyChallengeStore, PendingChallenge } from '../storage/passkey-challenges.js'

/** How long a person has to answer a passkey challenge. */
export const CHALLENGE_SECONDS = 300

/** The part of a browser's answer that names its challenge. */
export interface AnswerToChallenge {
  response: { clientDataJSON: string }
}

/** The challenge an answer was made for, read from its client data; LOGIN_ERR_PASSKEY when it names none. */
function challengeOf(answer: AnswerToChallenge): string {
  let challenge: unknown
  try {
    challenge = (
      JSON.parse(Buffer.from(answer.response.clientDataJSON, 'base64url').toString('utf8')) as Record<string, unknown>
    ).challenge
  } catch {
    challenge = undefined
  }
  if (typeof challenge !== 'string' || challenge.length === 0 || challenge.length > 200)
    throw new errors.Passkey('the answer names no challenge')
  return challenge
}

/**
 * Passkey challenges (docs/passkeys.md, "Challenges"): each is stored in the shared
 * database with the browser that asked for it and what it is for, taken
 * back once by the answer, and refused after {@link CHALLENGE_SECONDS}.
 */
export class PasskeyChallenges {
  constructor(
    private readonly store: PasskeyChallengeStore,
    private readonly clock: Clock,
  ) {}

  /** Records a challenge just sent to `browser`. */
  async issue(
    challenge: string,
    browser: string,
    purpose: ChallengePurpose,
    userId: string | null,
    detail: object,
  ): Promise<void> {
    const now = this.clock.now()
    await this.store.purgeExpired(now)
    await this.store.create({
      challenge,
      browser,
      purpose,
      userId,
      detail: JSON.stringify(detail),
      expires: now + CHALLENGE_SECONDS,
    })
  }

  /**
   * Takes back the challenge an answer was made for: it is then used,
   * whatever the verification that follows concludes. LOGIN_ERR_PASSKEY
   * when it is unknown, used already, another browser's, made for another
   * purpose, or too old.
   */
  async take(answer: AnswerToChallenge, browser: string | null, purpose: ChallengePurpose): Promise<PendingChallenge> {
    const challenge = challengeOf(answer)
    if (browser === null) throw new errors.Passkey('this browser asked for no challenge (were cookies blocked?)')
    const pending = await this.store.take(challenge, browser, purpose)
    if (!pending)
      throw new errors.Passkey('its challenge is unknown, was already used, or was made for another browser')
    if (pending.expires <= this.clock.now())
      throw new errors.Passkey(`it took more than ${CHALLENGE_SECONDS / 60} minutes; please try again`)
    return pending
  }
}
