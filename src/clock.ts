/** The time source for every rule that depends on time: tests control it instead of sleeping. */
export interface Clock {
  /** Current time in whole Unix seconds. */
  now(): number
}

export const systemClock: Clock = {
  now: () => Math.floor(Date.now() / 1000),
}

/** A clock that only moves when told to; for tests. */
export class ManualClock implements Clock {
  constructor(private seconds = Math.floor(Date.now() / 1000)) {}
  now(): number {
    return this.seconds
  }
  advance(seconds: number): void {
    this.seconds += seconds
  }
  set(seconds: number): void {
    this.seconds = seconds
  }
}
