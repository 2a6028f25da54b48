import { errors } from '../errors.js'
import { parseInvitationRequest, type InvitationRequest } from './invitation-request.js'

/** Hours typed into the form are capped here (about 114 years). */
const MAX_HOURS = 1_000_000

function hours(value: unknown, field: string): number | null {
  if (value === undefined || value === null || value === '') return null
  const n = typeof value === 'string' ? Number(value.trim()) : NaN
  if (!Number.isFinite(n) || n <= 0 || n > MAX_HOURS)
    throw new errors.BadRequest(`${field} must be a positive number of hours`)
  return Math.max(1, Math.round(n * 3600))
}

function single(value: unknown): unknown {
  return Array.isArray(value) ? value[value.length - 1] : value
}

/**
 * Reads the invite view's form: one row per group (`g<i>` ticked, then
 * `g<i>.<field>`), with expirations typed as hours from now. Builds the
 * same request the JSON endpoint takes, so both share every check.
 */
export function invitationRequestFromForm(form: Record<string, unknown>, now: number): InvitationRequest {
  const rows = Object.keys(form)
    .map(key => /^g(\d{1,3})$/.exec(key)?.[1])
    .filter((row): row is string => row !== undefined && single(form[`g${row}`]) === 'on')
    .sort((a, b) => Number(a) - Number(b))
  if (rows.length === 0) throw new errors.BadRequest('Tick at least one group to invite to')
  const field = (row: string, name: string) => single(form[`g${row}.${name}`])
  const invitations = rows.map(row => {
    const acceptWithin = hours(field(row, 'accept_hours'), 'accept within (hours)')
    return {
      accessing: field(row, 'accessing'),
      inviter: field(row, 'inviter'),
      acceptance_expiration: acceptWithin === null ? null : now + acceptWithin,
      access_duration: hours(field(row, 'access_hours'), 'access lasts (hours)'),
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
