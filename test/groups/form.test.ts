import t from 'tap'
import { invitationRequestFromForm } from '../../src/groups/invitation-form.js'
import { openInvitation } from '../helpers/invitations.js'

const NOW = 1_700_000_000

t.test('the invite form becomes the same request as the JSON body', async t => {
  const request = invitationRequestFromForm(
    {
      _csrf: 'x',
      invitees: '4',
      redirect: '/here',
      confirm: 'on',
      g2: 'on',
      'g2.accessing': 'chat/b',
      'g2.inviter': 'm2',
      'g2.accept_hours': '0.5',
      'g2.plus': '1',
      'g2.dos': '',
      'g2.deauthorizes': '1',
      'g2.depletes': 'on',
      g0: 'on',
      'g0.accessing': 'chat/a',
      'g0.inviter': 'm0',
      'g0.access_days': '2',
      'g0.access_hours': '12',
      'g0.plus': '',
      'g0.deauthorizes': '0',
      'g1.accessing': 'chat/unticked',
      'g1.inviter': 'm1',
    },
    NOW,
  )
  t.same(
    request,
    {
      invitees: 4,
      redirect: '/here',
      confirm: true,
      invitations: [
        { ...openInvitation('chat/a'), inviter: 'm0', accessDuration: 60 * 3600 },
        {
          ...openInvitation('chat/b'),
          inviter: 'm2',
          acceptanceExpiration: NOW + 1800,
          plus: 1,
          depletes: true,
          deauthorizes: 1,
        },
      ],
    },
    'ticked rows only, in row order, days and hours turned into seconds',
  )
})

t.test('days and hours left empty or zero mean no limit', async t => {
  const request = invitationRequestFromForm(
    { g0: 'on', 'g0.accessing': 'chat', 'g0.accept_days': '0', 'g0.accept_hours': '', 'g0.access_days': ' ' },
    NOW,
  )
  t.match(request.invitations[0], { acceptanceExpiration: null, accessDuration: null })
})

t.test('form mistakes are bad requests naming the field', async t => {
  const row = { g0: 'on', 'g0.accessing': 'chat' }
  const cases: [Record<string, unknown>, RegExp][] = [
    [{}, /Tick at least one group/],
    [{ g0: 'off', 'g0.accessing': 'chat' }, /Tick at least one group/],
    [{ ...row, 'g0.accept_hours': '-1' }, /“Accept within” must be a number of days and hours/],
    [{ ...row, 'g0.accept_days': 'soon' }, /“Accept within” must be a number of days and hours/],
    [{ ...row, 'g0.access_days': '1e9' }, /“Access lasts” is too long/],
    [{ ...row, 'g0.plus': 'many' }, /plus must be a whole number/],
    [{ ...row, 'g0.deauthorizes': '7' }, /deauthorizes must be a whole number from 0 to 2/],
    [{ ...row, invitees: '0' }, /invitees must be a whole number from 1/],
    [{ g0: 'on' }, /accessing must name a group/],
  ]
  for (const [form, message] of cases) {
    t.throws(
      () => invitationRequestFromForm(form, NOW),
      { code: 'LOGIN_ERR_BAD_REQUEST', message },
      JSON.stringify(form),
    )
  }
})
