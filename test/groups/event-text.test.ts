import t from 'tap'
import { eventText } from '../../src/groups/event-text.js'
import type { GroupEvent } from '../../src/storage/group-events.js'

function event(fields: Partial<GroupEvent>): GroupEvent {
  return {
    id: 1,
    groupId: 'g',
    path: 'chat/room',
    kind: 'member_granted',
    actorId: 'u1',
    actorName: 'Ada',
    subjectId: 'u2',
    subjectName: 'Bob',
    membershipId: null,
    invitationId: null,
    detail: {},
    created: 0,
    ...fields,
  }
}

t.test('audit log entries read as sentences', async t => {
  const cases: [Partial<GroupEvent>, string][] = [
    [
      { kind: 'namespace_created', path: 'chat', actorId: null, actorName: null },
      'An app or the command line created the namespace chat',
    ],
    [{ kind: 'group_created' }, 'Ada created chat/room'],
    [{ kind: 'owner_added', path: 'chat', subjectName: 'Ada' }, 'Ada became an owner of chat'],
    [{ kind: 'member_granted' }, 'Ada granted chat/room to Bob'],
    [{ kind: 'invitation_created' }, 'Ada created an invitation to chat/room'],
    [{ kind: 'invitation_cancelled', detail: { reason: 'cancelled' } }, 'Ada cancelled an invitation to chat/room'],
    [
      { kind: 'invitation_cancelled', detail: { reason: 'inviter removed' } },
      'Ada cancelled an invitation to chat/room because its creator was removed',
    ],
    [{ kind: 'invitation_cancelled', actorId: null, actorName: null }, 'An invitation to chat/room was cancelled'],
    [{ kind: 'invitation_accepted', actorName: 'Bob' }, 'Bob accepted an invitation and joined chat/room'],
    [{ kind: 'member_removed', detail: { reason: 'revoked' } }, 'Ada removed Bob from chat/room'],
    [
      { kind: 'member_removed', detail: { reason: 'cascade' } },
      'Ada removed Bob from chat/room with the person who admitted them',
    ],
    [
      { kind: 'member_removed', subjectName: null, detail: { reason: 'account deleted' } },
      'A deleted account left chat/room by deleting their account',
    ],
    [{ kind: 'member_left', detail: { reason: 'left' } }, 'Bob left chat/room'],
    [{ kind: 'member_granted', actorName: null }, 'A deleted account granted chat/room to Bob'],
  ]
  for (const [fields, expected] of cases) t.equal(eventText(event(fields)), expected, expected)
})
