import type { Invitation } from '../storage/invitations.js'
import { errors } from '../errors.js'
import { flag, MAX_COUNT, MAX_TIME, optionalInteger, deauthorizesLevel } from '../field-checks.js'

/** One group of a requested invitation link. */
export interface InvitationItem extends Pick<
  Invitation,
  'acceptanceExpiration' | 'accessExpiration' | 'accessDuration' | 'plus' | 'depletes' | 'dos' | 'deauthorizes'
> {
  /** A group id or path; a subgroup path that does not exist yet is created once the rules pass. */
  accessing: string
  /** The inviting membership; null = the caller's membership granting the group with the largest bound. */
  inviter: string | null
}

/** A request to create an invitation link (one group, or a chain of several). */
export interface InvitationRequest {
  invitees: number | null
  redirect: string | null
  confirm: boolean
  invitations: InvitationItem[]
}

/** A link may cover this many groups at most. */
export const MAX_CHAIN_LENGTH = 32

const ITEM_FIELDS = new Set([
  'accessing',
  'inviter',
  'acceptance_expiration',
  'access_expiration',
  'access_duration',
  'plus',
  'depletes',
  'dos',
  'deauthorizes',
])
const TOP_FIELDS = new Set(['invitees', 'redirect', 'confirm', 'invitations'])

function object(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new errors.BadRequest(`${field} must be a JSON object`)
  return value as Record<string, unknown>
}

function noUnknown(value: Record<string, unknown>, allowed: Set<string>, field: string): void {
  const unknown = Object.keys(value).find(key => !allowed.has(key))
  if (unknown !== undefined) throw new errors.BadRequest(`${field} has an unknown field ${JSON.stringify(unknown)}`)
}

function optionalString(value: unknown, field: string): string | null {
  if (value === undefined || value === null || value === '') return null
  if (typeof value !== 'string') throw new errors.BadRequest(`${field} must be a string`)
  return value
}

function item(value: unknown, at: string): InvitationItem {
  const raw = object(value, at)
  noUnknown(raw, ITEM_FIELDS, at)
  const accessing = optionalString(raw.accessing, `${at}.accessing`)
  if (accessing === null) throw new errors.BadRequest(`${at}.accessing must name a group (id or path)`)
  const accessExpiration = optionalInteger(raw.access_expiration, `${at}.access_expiration`, 0, MAX_TIME)
  const accessDuration = optionalInteger(raw.access_duration, `${at}.access_duration`, 1, MAX_TIME)
  if (accessExpiration !== null && accessDuration !== null) {
    throw new errors.BadRequest(`${at}: give access_expiration or access_duration, not both`)
  }
  return {
    accessing,
    inviter: optionalString(raw.inviter, `${at}.inviter`),
    acceptanceExpiration: optionalInteger(raw.acceptance_expiration, `${at}.acceptance_expiration`, 0, MAX_TIME),
    accessExpiration,
    accessDuration,
    plus: optionalInteger(raw.plus, `${at}.plus`, 0, MAX_COUNT),
    depletes: flag(raw.depletes, `${at}.depletes`),
    dos: optionalInteger(raw.dos, `${at}.dos`, 1, MAX_COUNT),
    deauthorizes: deauthorizesLevel(raw.deauthorizes, `${at}.deauthorizes`),
  }
}

/**
 * Reads the JSON body of `POST /login/access/allow` (snake_case fields,
 * times in Unix seconds). Only the shape is checked here; the limits
 * depend on the inviter and are the invitation service's.
 */
export function parseInvitationRequest(body: unknown): InvitationRequest {
  const raw = object(body, 'the request body')
  noUnknown(raw, TOP_FIELDS, 'the request body')
  if (!Array.isArray(raw.invitations) || raw.invitations.length === 0) {
    throw new errors.BadRequest('invitations must be a non-empty array of {accessing, ...}')
  }
  if (raw.invitations.length > MAX_CHAIN_LENGTH)
    throw new errors.BadRequest(`invitations may name at most ${MAX_CHAIN_LENGTH} groups`)
  return {
    invitees: optionalInteger(raw.invitees, 'invitees', 1, MAX_COUNT),
    redirect: optionalString(raw.redirect, 'redirect'),
    confirm: flag(raw.confirm, 'confirm'),
    invitations: raw.invitations.map((value, i) => item(value, `invitations[${i}]`)),
  }
}
