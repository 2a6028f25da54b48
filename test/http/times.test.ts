import t from 'tap'
import { ago, exact, iso, span } from '../../src/http/times.js'

const NOW = 1_767_225_600 // 2026-01-01T00:00:00Z

t.test('relative times, past and future', async t => {
  const cases: [number, string][] = [
    [0, 'just now'],
    [-30, 'just now'],
    [30, 'in less than a minute'],
    [-60, '1 minute ago'],
    [-180, '3 minutes ago'],
    [-3600, '1 hour ago'],
    [-5 * 3600, '5 hours ago'],
    [-86400, 'yesterday'],
    [-9 * 86400, '9 days ago'],
    [5 * 86400, 'in 5 days'],
    [-45 * 86400, 'last month'],
    [-400 * 86400, 'last year'],
    [3 * 365 * 86400, 'in 3 years'],
  ]
  for (const [offset, expected] of cases) t.equal(ago(NOW + offset, NOW), expected, `${offset} s`)
})

t.test('exact times are UTC to the minute; <time datetime> gets ISO', async t => {
  t.equal(exact(NOW + 3723), '2026-01-01 01:02 UTC')
  t.equal(iso(NOW), '2026-01-01T00:00:00.000Z')
})

t.test('lengths of time in days and hours', async t => {
  const cases: [number, string][] = [
    [1, '1 minute'],
    [90 * 60, '2 hours'],
    [3600, '1 hour'],
    [24 * 3600, '1 day'],
    [36 * 3600, '1 day 12 hours'],
    [168 * 3600, '7 days'],
    [30 * 86400, '30 days'],
    [2 * 86400 + 23.6 * 3600, '3 days'],
  ]
  for (const [seconds, expected] of cases) t.equal(span(seconds), expected, `${seconds} s`)
})
