import t from 'tap'
import { startApp } from '../helpers/app.js'
import { runAppCommand } from '../helpers/app-command.js'

t.test('app add registers an OpenID Connect client and prints {id, secret, issuer} once', async t => {
  const { app } = await startApp(t, { publicUrl: 'https://login.example.org' })
  const [line] = await runAppCommand(
    app.ctx,
    'add',
    'grafana',
    '--namespace',
    'grafana',
    '--redirect-uri',
    'https://grafana.example.org/login/generic_oauth',
    '--redirect-uri=https://grafana.example.org/other',
    '--post-logout-redirect-uri',
    'https://grafana.example.org/login',
    '--backchannel-logout-uri',
    'https://grafana.example.org/backchannel',
    '--require',
    ' grafana/editors | admin ',
  )
  const printed = JSON.parse(line!) as { id: string; secret: string; issuer: string }
  t.same(Object.keys(printed), ['id', 'secret', 'issuer'])
  t.equal(printed.issuer, 'https://login.example.org/login')
  t.equal(Buffer.from(printed.secret, 'base64url').length, 32)

  const [spa] = await runAppCommand(
    app.ctx,
    'add',
    'spa',
    '--redirect-uri',
    'http://localhost:5173/cb',
    '--public',
    '--id-token-alg',
    'EdDSA',
    '--channel',
  )
  t.equal(JSON.parse(spa!).secret, null, 'a public client gets no secret')

  const listed = await runAppCommand(app.ctx, 'list')
  t.equal(
    listed[0],
    [
      'grafana',
      printed.id,
      listed[0]!.split('\t')[2],
      'last seen never',
      'namespaces grafana (claimed)',
      'redirect https://grafana.example.org/login/generic_oauth https://grafana.example.org/other',
      'post-logout https://grafana.example.org/login',
      'back-channel logout https://grafana.example.org/backchannel',
      'require grafana/editors | admin',
      'ID tokens RS256',
      'no channel',
    ].join('\t'),
  )
  t.match(
    listed[1],
    /^spa\t.*\tredirect http:\/\/localhost:5173\/cb\tpublic \(PKCE, no secret\)\tID tokens EdDSA\tchannel too$/,
  )

  const [plain] = await runAppCommand(app.ctx, 'add', 'chat')
  t.same(Object.keys(JSON.parse(plain!)), ['id', 'secret', 'issuer'], 'an app for the realtime channel only')
  const chat = (await runAppCommand(app.ctx, 'list')).find(l => l.startsWith('chat\t'))
  t.match(chat, /^chat\t.*\tnamespaces none$/, 'lists no OpenID Connect settings')
})

t.test('bad OpenID Connect options are clear errors, and nothing is registered', async t => {
  const { app } = await startApp(t)
  const cases: [string[], string, RegExp][] = [
    [['--public'], 'LOGIN_ERR_BAD_REQUEST', /need at least one --redirect-uri/],
    [['--redirect-uri', 'http://grafana.example.org/cb'], 'LOGIN_ERR_BAD_REQUEST', /--redirect-uri must use https/],
    [['--redirect-uri', 'https://grafana.example.org/cb#x'], 'LOGIN_ERR_BAD_REQUEST', /fragment/],
    [['--redirect-uri', 'https://user:pw@grafana.example.org/cb'], 'LOGIN_ERR_BAD_REQUEST', /credentials/],
    [['--redirect-uri', '/relative'], 'LOGIN_ERR_BAD_REQUEST', /absolute URL/],
    [['--redirect-uri', 'https://a.example.org/ cb'], 'LOGIN_ERR_BAD_REQUEST', /without spaces/],
    [['--redirect-uri', 'javascript:alert(1)'], 'LOGIN_ERR_BAD_REQUEST', /https/],
    [
      ['--redirect-uri', 'https://a.example.org/cb', '--backchannel-logout-uri', 'ftp://a.example.org/'],
      'LOGIN_ERR_BAD_REQUEST',
      /--backchannel-logout-uri must use https/,
    ],
    [
      ['--redirect-uri', 'https://a.example.org/cb', '--require', 'chat/(staff'],
      'LOGIN_ERR_BAD_EXPRESSION',
      /position|expected/,
    ],
    [['--redirect-uri', 'https://a.example.org/cb', '--id-token-alg', 'none'], 'LOGIN_ERR_BAD_REQUEST', /RS256, EdDSA/],
    [
      ['--redirect-uri', 'https://a.example.org/cb', '--secret', 'x'],
      'LOGIN_ERR_BAD_REQUEST',
      /Unknown option '--secret'/,
    ],
    [['--redirect-uri'], 'LOGIN_ERR_BAD_REQUEST', /argument missing/],
  ]
  for (const [options, code, message] of cases) {
    await t.rejects(runAppCommand(app.ctx, 'add', 'x', ...options), { code, message }, options.join(' '))
  }
  t.same(await runAppCommand(app.ctx, 'list'), [])
})
