import { exact } from '../http/times.js'

/** The JSON fields of an invitation request, as the invite form labels them. */
const LABELS: Record<string, string> = {
  acceptance_expiration: '“Accept within”',
  access_expiration: '“Access lasts”',
  access_duration: '“Access lasts”',
  invitees: '“Places”',
  plus: '“They may each admit”',
  dos: '“Degrees of separation”',
  deauthorizes: '“They may remove”',
  depletes: '“Their admissions also use up this link’s places”',
  accessing: '“Group”',
  redirect: '“After accepting, go to”',
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
const NOT_WITHIN = new RegExp(`^membership (${UUID}) \\(in [^)]*\\) does not grant (\\S+)$`)
const MEMBERSHIP = new RegExp(`(?:the inviting membership|inviter|membership) (${UUID})`, 'g')

/**
 * The invitation rules word a refusal for the JSON API: `invitations[1].plus`,
 * membership ids, Unix times. The invite page shows it above its form in
 * the form's own words: the group a row invites to, the field labels,
 * readable times. `rows` are the groups of the ticked rows, in order;
 * `memberships` maps the caller's membership ids to their groups.
 */
export function inviteFormMessage(
  message: string,
  rows: readonly string[],
  memberships: ReadonlyMap<string, string>,
): string {
  const groupOf = (id: string) => memberships.get(id) ?? 'another group'
  const prefixed = /^invitations\[(\d+)\](?:\.|:\s*)?(.*)$/s.exec(message)
  const row = prefixed ? (rows[Number(prefixed[1])] ?? null) : null
  let text = (prefixed ? prefixed[2]! : message)
    // Field names open a message; group paths elsewhere in it may hold the same words.
    .replace(/^\w+/, word => LABELS[word] ?? word)
    .replace(/before acceptance_expiration$/, 'before the acceptance deadline')
    .replace(NOT_WITHIN, (_, id: string, path: string) => {
      return `your membership of ${groupOf(id)} cannot invite to ${path}: it is neither ${groupOf(id)} nor a group below it`
    })
    .replace(MEMBERSHIP, (_, id: string) => `your membership of ${groupOf(id)}`)
    .replace(/\((\d{9,11})\)$/, (_, t: string) => `(${exact(Number(t))})`)
  text = text.charAt(0).toUpperCase() + text.slice(1)
  return row === null ? text : `${row}: ${text}`
}
