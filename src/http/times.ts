/**
 * How pages show times: relative to now ("3 minutes ago"), exact in UTC
 * (what a hover shows until the page's script puts it in the reader's own
 * time zone), and lengths of time in days and hours.
 */

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 86400],
  ['month', 30 * 86400],
  ['day', 86400],
  ['hour', 3600],
  ['minute', 60],
]

const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' })

/** "3 minutes ago", "in 2 days", "just now". */
export function ago(t: number, now: number): string {
  const diff = t - now
  for (const [unit, seconds] of UNITS) {
    if (Math.abs(diff) >= seconds) return relative.format(Math.round(diff / seconds), unit)
  }
  return diff > 0 ? 'in less than a minute' : 'just now'
}

/** `2026-05-04T03:02:01.000Z`, for `<time datetime>`. */
export function iso(t: number): string {
  return new Date(t * 1000).toISOString()
}

/** `2026-05-04 03:02 UTC`. */
export function exact(t: number): string {
  return `${iso(t).replace('T', ' ').slice(0, 16)} UTC`
}

function count(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'}`
}

/** A length of time in days and hours ("7 days", "1 day 12 hours"); under an hour, in minutes. */
export function span(seconds: number): string {
  if (seconds < 3600) return count(Math.max(1, Math.round(seconds / 60)), 'minute')
  const hours = Math.round(seconds / 3600)
  const days = Math.floor(hours / 24)
  const rest = hours % 24
  return [days > 0 ? count(days, 'day') : '', rest > 0 ? count(rest, 'hour') : ''].filter(Boolean).join(' ')
}

/** The helpers templates call as `it.time.*`, bound to the request's now. */
export function timeHelpers(now: number) {
  return {
    now,
    ago: (t: number) => ago(t, now),
    iso,
    exact,
    span,
  }
}
