import type { GroupEvent } from '../storage/group-events.js'

function upper(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}

/** Why a membership or invitation ended, as the audit log records it, in words. */
const REASONS: Record<string, string> = {
  cascade: 'with the person who admitted them',
  'account deleted': 'by deleting their account',
  'inviter removed': 'because its creator was removed',
}

/**
 * One audit log entry as a sentence for the log page ("alice removed bob
 * from chat/room"). Users who acted are named; an app or the CLI is
 * "An app or the command line"; a deleted account is "a deleted account".
 */
export function eventText(e: GroupEvent): string {
  const actor = e.actorId === null ? 'An app or the command line' : (e.actorName ?? 'A deleted account')
  const subject = e.subjectId === null ? 'someone' : (e.subjectName ?? 'a deleted account')
  // The same, opening a sentence (a name stays as its owner wrote it).
  const Subject = e.subjectName ?? upper(subject)
  const reason = typeof e.detail.reason === 'string' ? REASONS[e.detail.reason] : undefined
  const why = reason ? ` ${reason}` : ''
  switch (e.kind) {
    case 'namespace_created':
      return `${actor} created the namespace ${e.path}`
    case 'group_created':
      return `${actor} created ${e.path}`
    case 'owner_added':
      return `${Subject} became an owner of ${e.path}`
    case 'member_granted':
      return `${actor} granted ${e.path} to ${subject}`
    case 'invitation_created':
      return `${actor} created an invitation to ${e.path}`
    case 'invitation_cancelled':
      if (e.actorId === null) return `An invitation to ${e.path} was cancelled${why}`
      return `${actor} cancelled an invitation to ${e.path}${why}`
    case 'invitation_accepted':
      return `${Subject} accepted an invitation and joined ${e.path}`
    case 'member_removed':
      if (e.detail.reason === 'account deleted') return `${Subject} left ${e.path} by deleting their account`
      return `${actor} removed ${subject} from ${e.path}${why}`
    case 'member_left':
      return `${Subject} left ${e.path}`
  }
}
