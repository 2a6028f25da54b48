import type { AccessRule } from '../storage/access-rules.js'
import type { GroupEvent } from '../storage/group-events.js'
import type { InvitationView } from '../storage/invitations.js'
import type { Membership, MemberView } from '../storage/memberships.js'
import type { InvitableGroup } from './invitations.js'
import { toShort } from './shortcode.js'

/**
 * The JSON shapes of the access endpoints (snake_case, times in Unix
 * seconds), shared by the JSON answers and the views that mirror them.
 */

export function membershipJson(m: Membership) {
  return {
    membership: m.id,
    group: m.groupId,
    path: m.path,
    until: m.until,
    spots: m.spots,
    deauthorizes: m.deauthorizes,
    dos: m.dos,
    via: m.invitationId,
  }
}

/** What a rule a group opens looks like to its members: where, and on what condition (docs/forward-auth.md, "Access rules"). */
export function openedJson(rule: AccessRule) {
  return {
    host: rule.host,
    path: rule.path ?? '/',
    methods: rule.methods,
    expression: rule.expression,
    passkey: rule.requirePasskey,
  }
}

export function invitableJson({ membership, limits, subgroups }: InvitableGroup) {
  return {
    ...membershipJson(membership),
    bound: limits.invitees,
    limits: {
      invitees: limits.invitees,
      plus: limits.plus,
      deauthorizes: limits.deauthorizes,
      dos: limits.dos,
      depletes: limits.depletes,
      acceptance_expiration: limits.expiration,
      access_expiration: limits.expiration,
    },
    subgroups: subgroups.map(g => ({ group: g.id, path: g.path })),
  }
}

export function removableJson(m: MemberView) {
  return {
    membership: m.id,
    user: m.userId,
    name: m.userName,
    group: m.groupId,
    path: m.path,
    until: m.until,
    via: m.invitationId,
    since: m.created,
    spots: m.spots,
    admitted_by: m.inviterName,
  }
}

export function cancellableJson(i: InvitationView) {
  return {
    invitation: i.id,
    link: i.chainId,
    short: toShort(i.chainId),
    group: i.groupId,
    path: i.path,
    inviter: i.inviterId,
    inviter_user: i.inviterUserId,
    inviter_name: i.inviterName,
    invitees: i.invitees,
    acceptance_expiration: i.acceptanceExpiration,
    access_expiration: i.accessExpiration,
    access_duration: i.accessDuration,
    plus: i.plus,
    depletes: i.depletes,
    dos: i.dos,
    deauthorizes: i.deauthorizes,
    redirect: i.redirect,
    confirm: i.confirm,
    created: i.created,
  }
}

export function eventJson(e: GroupEvent) {
  return {
    id: e.id,
    kind: e.kind,
    group: e.groupId,
    path: e.path,
    actor: e.actorId,
    actor_name: e.actorName,
    subject: e.subjectId,
    subject_name: e.subjectName,
    membership: e.membershipId,
    invitation: e.invitationId,
    detail: e.detail,
    created: e.created,
  }
}
