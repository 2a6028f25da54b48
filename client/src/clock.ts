/** The client's time source, in milliseconds since the epoch: tests pass one they control instead of waiting. */
export interface Clock {
  now(): number
}

export const systemClock: Clock = { now: () => Date.now() }

/** The clock's time in whole Unix seconds, the unit of lease claims. */
export function unixSeconds(clock: Clock): number {
  return Math.floor(clock.now() / 1000)
}
