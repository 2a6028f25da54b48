/**
 * `?, ?, …` for an `IN (…)` list of `n` values: one placeholder each, so
 * that both engines bind and index it the same way. Callers answer empty
 * lists themselves (`IN ()` is no valid SQL).
 */
export function marks(n: number): string {
  if (n < 1) throw new RangeError('an IN list needs at least one value')
  return Array.from({ length: n }, () => '?').join(', ')
}
