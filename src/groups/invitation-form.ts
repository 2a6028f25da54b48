import { errors } from '../errors.js'
import { parseInvitationRequest, type InvitationRequest } from './invitation-request.js'

/** Hours typed into the form are capped here (about 114 years). */
const MAX_HOURS = 1_000_000

function amount(value: unknown, field: string): number {
  if (value === undefined || value === null || value === '') return 0
  const n = typeof value === 'string' ? Number(value.trim()) : NaN
  if (!Number.isFinite(n) || n < 0) throw new errors.BadRequest(`${field} must be a number of days and hours`)
  return n
}

/** Days plus hours as seconds (at least one), or null when both are empty or zero. */
function duration(days: unknown, hours: unknown, field: string): number | null {
  const total = amount(days, field) * 24 + amount(hours, field)
  if (total === 0) return null
  if (total > MAX_HOURS) throw new errors.BadRequest(`${field} is too long`)
  return Math.max(1, Math.round(total * 3600))
}

function single(value: unknown): unknown {
  return Array.isArray(value) ? value[value.length - 1] : value
}

/**
 * Reads the invite view's form: one row per group (`g<i>` ticked, then
 * `g<i>.<field>`), with lengths of time typed as days and hours
 * (`accept_days` + `accept_hours` from now, `access_days` + `access_hours`
 * from acceptance; either may be left empty). Builds the same request the
 * JSON endpoint takes, so both share every check.
 */
export function invitationRequestFromForm(form: Record<string, unknown>, now: number): InvitationRequest {
  const rows = Object.keys(form)
    .map(key => /^g(\d{1,3})$/.exec(key)?.[1])
    .filter((row): row is string => row !== undefined && single(form[`g${row}`]) === 'on')
    .sort((a, b) => Number(a) - Number(b))
  if (rows.length === 0) throw new errors.BadRequest('Tick at least one group to invite to')
  const field = (row: string, name: string) => single(form[`g${row}.${name}`])
  const invitations = rows.map(row => {
    const acceptWithin = duration(field(row, 'accept_days'), field(row, 'accept_hours'), '“Accept within”')
    return {
      accessing: field(row, 'accessing'),
      inviter: field(row, 'inviter'),
      acceptance_expiration: acceptWithin === null ? null : now + acceptWithin,
      access_duration: duration(field(row, 'access_days'), field(row, 'access_hours'), '“Access lasts”'),
      plus: field(row, 'plus'),
      dos: field(row, 'dos'),
      deauthorizes: field(row, 'deauthorizes'),
      depletes: field(row, 'depletes'),
    }
  })
  return parseInvitationRequest({
    invitees: single(form.invitees),
    redirect: single(form.redirect),
    confirm: single(form.confirm),
    invitations,
  })
}
