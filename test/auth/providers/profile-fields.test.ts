import t from 'tap'
import { pickProfile, type ProfileFields } from '../../../src/auth/providers/profile-fields.js'

const fields: ProfileFields = {
  id: ['node_id', 'id'],
  name: ['name', 'login'],
  picture: ['picture.data.url', 'avatar_url'],
}

t.test('reads id, name and picture from dot paths, first usable one wins', t => {
  const cases: [string, unknown, { providerUserId: string; name: string; picture: string }][] = [
    [
      'all present',
      { node_id: 'N1', name: 'Ada', avatar_url: 'https://a.example/p.png' },
      { providerUserId: 'N1', name: 'Ada', picture: 'https://a.example/p.png' },
    ],
    [
      'falls back through the paths',
      { id: 42, name: null, login: 'ada', picture: { data: { url: 'https://fb.example/x.jpg' } } },
      { providerUserId: '42', name: 'ada', picture: 'https://fb.example/x.jpg' },
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
  for (const [name, source, expected] of cases) t.same(pickProfile(source, fields, 'X'), expected, name)
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
