import t from 'tap'
import { parseInvitationRequest } from '../../src/groups/invitation-request.js'
import { openInvitation } from '../helpers/invitations.js'

t.test('a full request is read', async t => {
  // What the body and the request spell alike; the times are snake_case in the body, camelCase once read.
  const top = { invitees: 5, redirect: '/chat', confirm: true }
  const item = { accessing: 'chat/alice', inviter: 'm1', plus: 2, depletes: true, dos: 3, deauthorizes: 1 }
  const request = parseInvitationRequest({
    ...top,
    invitations: [{ ...item, acceptance_expiration: 100, access_duration: 60 }],
  })
  t.same(request, {
    ...top,
    invitations: [{ ...item, acceptanceExpiration: 100, accessExpiration: null, accessDuration: 60 }],
  })
  const minimal = parseInvitationRequest({ invitations: [{ accessing: 'chat' }] })
  t.same(minimal.invitations[0], openInvitation('chat'), 'every limit is optional')
  t.equal(minimal.invitees, null)
  t.equal(minimal.confirm, false)
})

t.test('malformed requests are bad requests naming the field', async t => {
  const cases: [unknown, RegExp | null][] = [
    [null, /request body must be a JSON object/],
    [[], /request body must be a JSON object/],
    [{}, /invitations must be a non-empty array/],
    [{ invitations: [] }, /invitations must be a non-empty array/],
    [{ invitations: [{}] }, /invitations\[0\]\.accessing must name a group/],
    [{ invitations: [{ accessing: 5 }] }, /invitations\[0\]\.accessing must be a string/],
    [{ invitations: ['chat'] }, /invitations\[0\] must be a JSON object/],
    [{ invitations: [{ accessing: 'a', access_expiration: 10, access_duration: 5 }] }, /not both/],
    [{ invitations: [{ accessing: 'a', plus: -1 }] }, /plus must be a whole number from 0/],
    [{ invitations: [{ accessing: 'a', plus: 1.5 }] }, /plus must be a whole number/],
    [{ invitations: [{ accessing: 'a', dos: 0 }] }, /dos must be a whole number from 1/],
    [{ invitations: [{ accessing: 'a', deauthorizes: 3 }] }, /deauthorizes must be a whole number from 0 to 2/],
    [{ invitations: [{ accessing: 'a', depletes: 'maybe' }] }, /depletes must be true or false/],
    [{ invitations: [{ accessing: 'a', acceptance_expiration: 1e15 }] }, /Unix seconds/],
    [{ invitations: [{ accessing: 'a', access_duration: 0 }] }, /access_duration must be a whole number from 1/],
    [{ invitations: [{ accessing: 'a', colour: 'red' }] }, /unknown field "colour"/],
    [{ invitations: [{ accessing: 'a' }], invitees: 0 }, /invitees must be a whole number from 1/],
    [{ invitations: [{ accessing: 'a' }], invitees: '3' }, null],
    [{ invitations: [{ accessing: 'a' }], redirect: 7 }, /redirect must be a string/],
    [{ invitations: [{ accessing: 'a' }], extra: 1 }, /unknown field "extra"/],
    [{ invitations: Array(33).fill({ accessing: 'a' }) }, /at most 32 groups/],
  ]
  for (const [body, message] of cases) {
    if (message === null)
      t.doesNotThrow(() => parseInvitationRequest(body), 'numeric strings (form fields) are numbers')
    else
      t.throws(
        () => parseInvitationRequest(body),
        { code: 'LOGIN_ERR_BAD_REQUEST', message },
        JSON.stringify(body).slice(0, 80),
      )
  }
})
