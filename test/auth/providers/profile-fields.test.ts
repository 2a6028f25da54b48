import t from 'tap'
import { pickProfile, vouchedEmail, type ProfileFields } from '../../../src/auth/providers/profile-fields.js'

const fields: ProfileFields = {
  id: ['node_id', 'id'],
  name: ['name', 'login'],
  picture: ['picture.data.url', 'avatar_url'],
  login: ['login'],
}

t.test('reads id, name, picture and login from dot paths, first usable one wins', t => {
  const cases: [string, unknown, { providerUserId: string; name: string; picture: string; login?: string }][] = [
    [
      'all present',
      { node_id: 'N1', name: 'Ada', avatar_url: 'https://a.example/p.png' },
      { providerUserId: 'N1', name: 'Ada', picture: 'https://a.example/p.png' },
    ],
    [
      'falls back through the paths',
      { id: 42, name: null, login: 'ada', picture: { data: { url: 'https://fb.example/x.jpg' } } },
      { providerUserId: '42', name: 'ada', picture: 'https://fb.example/x.jpg', login: 'ada' },
    ],
    ['no name: the id stands in', { node_id: 'N2' }, { providerUserId: 'N2', name: 'N2', picture: '' }],
    [
      'a picture that is not an http(s) URL is dropped',
      { node_id: 'N3', name: 'x', avatar_url: 'javascript:alert(1)' },
      { providerUserId: 'N3', name: 'x', picture: '' },
    ],
    [
      'control and invisible characters leave the name',
      { node_id: 'N4', name: ' A\u0000d\u202Ea ' },
      { providerUserId: 'N4', name: 'Ada', picture: '' },
    ],
    [
      'inherited properties are not fields',
      Object.assign(Object.create({ node_id: 'proto' }), { id: 'own' }),
      { providerUserId: 'own', name: 'own', picture: '' },
    ],
  ]
  for (const [name, source, expected] of cases)
    t.same(pickProfile(source, fields, 'X'), { login: null, email: null, ...expected }, name)
  t.same(pickProfile({ id: 1 }, fields, 'X', 'a@b.example').email, 'a@b.example', 'the vouched address goes along')
  t.end()
})

t.test('an address counts only when the provider vouched for it', t => {
  const flagged = { address: 'mail', verified: 'mail_ok' }
  const cases: [string, unknown, { address: string; verified: string }, string | null][] = [
    ['flag true', { mail: 'a@b.example', mail_ok: true }, flagged, 'a@b.example'],
    ['flag as the string "true"', { mail: 'a@b.example', mail_ok: 'true' }, flagged, 'a@b.example'],
    ['flag false', { mail: 'a@b.example', mail_ok: false }, flagged, null],
    ['no flag', { mail: 'a@b.example' }, flagged, null],
    [
      'a provider that vouches for every address it gives',
      { mail: ' a@b.example ' },
      { address: 'mail', verified: 'always' },
      'a@b.example',
    ],
    ['not an address', { mail: 'nobody', mail_ok: true }, flagged, null],
    ['spaces inside', { mail: 'a b@c.example', mail_ok: true }, flagged, null],
    ['too long', { mail: `${'a'.repeat(250)}@b.example`, mail_ok: true }, flagged, null],
    ['not a string', { mail: ['a@b.example'], mail_ok: true }, flagged, null],
  ]
  for (const [name, source, where, expected] of cases) t.equal(vouchedEmail(source, where), expected, name)
  t.end()
})

t.test('no usable id is the provider failing', t => {
  for (const source of [{}, { node_id: '  ' }, { id: 1.5 }, null, 'text']) {
    t.throws(() => pickProfile(source, fields, "X's profile"), {
      code: 'LOGIN_ERR_PROVIDER',
      message: /X's profile has no user id \(node_id or id\)/,
    })
  }
  t.end()
})
