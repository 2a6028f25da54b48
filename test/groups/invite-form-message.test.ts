import t from 'tap'
import { inviteFormMessage } from '../../src/groups/invite-form-message.js'

const MEMBERSHIP = '0a42c1d2-3b4c-4d5e-8f60-718293a4b5c6'
const memberships = new Map([[MEMBERSHIP, 'chat']])

t.test("the invitation rules' refusals, in the invite form's words", async t => {
  const cases: [string, string[], string][] = [
    [
      `membership ${MEMBERSHIP} (in chat) does not grant other/thing`,
      ['other/thing'],
      'Your membership of chat cannot invite to other/thing: it is neither chat nor a group below it',
    ],
    [
      `invitations[1]: membership ${MEMBERSHIP} (in chat) does not grant other/plus`,
      ['chat/a', 'other/plus'],
      'other/plus: Your membership of chat cannot invite to other/plus: it is neither chat nor a group below it',
    ],
    [
      'invitations[0]: acceptance_expiration must be set, no later than your own access ends (1767225600)',
      ['chat/dos'],
      'chat/dos: “Accept within” must be set, no later than your own access ends (2026-01-01 00:00 UTC)',
    ],
    [
      'invitees must be set, at most your admission bound of 3',
      ['chat'],
      '“Places” must be set, at most your admission bound of 3',
    ],
    [
      'plus must be set, at most your own spots (2)',
      ['chat'],
      '“They may each admit” must be set, at most your own spots (2)',
    ],
    [
      'dos must be set, at most 1 (one less than your own)',
      ['chat'],
      '“Degrees of separation” must be set, at most 1 (one less than your own)',
    ],
    [
      'invitations[0].plus must be a whole number from 0 to 1000000000, or null',
      ['chat'],
      'chat: “They may each admit” must be a whole number from 0 to 1000000000, or null',
    ],
    [`the inviting membership ${MEMBERSHIP} has expired`, ['chat'], 'Your membership of chat has expired'],
    ['you are not a member of dos/plus', ['dos/plus'], 'You are not a member of dos/plus'],
    ['Tick at least one group to invite to', [], 'Tick at least one group to invite to'],
  ]
  for (const [message, rows, expected] of cases)
    t.equal(inviteFormMessage(message, rows, memberships), expected, message)
})
