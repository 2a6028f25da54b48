import t from 'tap'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { OAuth2Server } from 'oauth2-mock-server'
import { loadCredentials } from '../../../src/auth/providers/credentials.js'
import { presets } from '../../../src/auth/providers/presets.js'
import { loadConfig } from '../../../src/config.js'
import { startApp } from '../../helpers/app.js'
import { startMockIssuer, writeCredentials } from '../../helpers/oauth.js'

const PRESETS = presets.map(p => p.id)
const client = { id: 'client-id', secret: 'client-secret' }
const oidc = { issuer: 'https://idp.example.com', id: 'client-id', secret: 'client-secret' }

t.test('a malformed file or entry stops the start, naming the key', async t => {
  const cases: [string, unknown, RegExp][] = [
    ['not JSON', '{"google": ', /credentials\.json is not valid JSON: line 1, column 12 \(value expected\)/],
    ['not an object', '[]', /must hold a JSON object/],
    [
      'unknown provider',
      { gogle: client },
      /"gogle" is not a known provider \(known: "google", "github", "facebook", "oidc"\)/,
    ],
    ['entry not an object', { google: 'secret' }, /"google" must be an object with "id", "secret", "base_url"/],
    ['missing secret', { google: { id: 'x' } }, /"google\.secret" must be a non-empty string/],
    ['empty id', { github: { id: '', secret: 'x' } }, /"github\.id" must be a non-empty string/],
    [
      'non-ASCII secret',
      { github: { id: 'x', secret: 'sécret' } },
      /"github\.secret" must be a non-empty string of printable ASCII/,
    ],
    ['unknown field', { facebook: { ...client, secert: 'x' } }, /"facebook\.secert" is not a known field/],
    [
      'plain-http base URL off loopback',
      { github: { ...client, base_url: 'http://gh.example.com' } },
      /"github\.base_url" must use https/,
    ],
    ['oidc not an object', { oidc: [oidc] }, /"oidc" must be an object of named providers/],
    [
      'oidc name unfit for a URL',
      { oidc: { 'Corp SSO': oidc } },
      /"oidc\.Corp SSO" must be named with 1 to 32 lower-case/,
    ],
    ['oidc issuer missing', { oidc: { corp: { id: 'x', secret: 'y' } } }, /"oidc\.corp\.issuer" must be a URL string/],
    [
      'oidc issuer not a URL',
      { oidc: { corp: { ...oidc, issuer: 'idp.example.com' } } },
      /"oidc\.corp\.issuer" must be an absolute URL/,
    ],
    [
      'oidc issuer over http',
      { oidc: { corp: { ...oidc, issuer: 'http://idp.example.com' } } },
      /"oidc\.corp\.issuer" must use https/,
    ],
    [
      'oidc scope without openid',
      { oidc: { corp: { ...oidc, scope: 'profile email' } } },
      /"oidc\.corp\.scope" must include "openid"/,
    ],
    [
      'oidc scope not a string',
      { oidc: { corp: { ...oidc, scope: ['openid'] } } },
      /"oidc\.corp\.scope" must be a space-separated list/,
    ],
    [
      'oidc unknown field',
      { oidc: { corp: { ...oidc, client_id: 'x' } } },
      /"oidc\.corp\.client_id" is not a known field/,
    ],
  ]
  for (const [name, content, message] of cases) {
    const path = writeCredentials(t, content)
    let error: unknown
    try {
      loadCredentials(path, PRESETS)
    } catch (caught) {
      error = caught
    }
    t.match(error, { code: 'LOGIN_ERR_CONFIG', message }, name)
    t.ok((error as Error | undefined)?.message.includes(path), `${name}: names the file`)
  }

  await t.rejects(
    startApp(t, { credentialsPath: writeCredentials(t, { google: { id: 'x' } }) }),
    { code: 'LOGIN_ERR_CONFIG', message: /"google\.secret"/ },
    'the server does not start',
  )
})

t.test('the committed credentials.example.json is valid and names every kind of provider', async t => {
  // Copied as docs/sign-in.md says, and made private as the server wants it.
  const credentials = loadCredentials(
    writeCredentials(t, readFileSync(resolve('credentials.example.json'), 'utf8')),
    PRESETS,
  )
  t.same([...credentials.clients.keys()], ['google', 'github', 'facebook'])
  t.same(
    credentials.oidc.map(o => [o.name, o.label, o.scope]),
    [['corp', 'Corp SSO', ['openid', 'profile', 'email']]],
  )
})

t.test('no credentials.json: no OAuth provider is offered', async t => {
  t.same(loadCredentials(null, PRESETS), { clients: new Map(), oidc: [] })
  const { app } = await startApp(t, { debug: false })
  const login = await app.inject({ url: '/login', headers: { accept: 'application/json' } })
  t.same(login.json().providers, [])
})

t.test('an OpenID issuer that cannot be discovered stops the start, naming it', async t => {
  const mock: OAuth2Server = await startMockIssuer(t)
  const cases: [string, string, RegExp][] = [
    [
      'unreachable',
      'http://127.0.0.1:9',
      /"oidc\.corp": discovery at http:\/\/127\.0\.0\.1:9\/\.well-known\/openid-configuration could not be reached/,
    ],
    [
      'not found',
      `${mock.issuer.url}/tenant`,
      /"oidc\.corp": discovery at .*\/tenant\/\.well-known\/openid-configuration answered HTTP 404/,
    ],
  ]
  for (const [name, issuer, message] of cases) {
    const credentialsPath = writeCredentials(t, { oidc: { corp: { ...oidc, issuer } } })
    await t.rejects(startApp(t, { credentialsPath }), { code: 'LOGIN_ERR_CONFIG', message }, name)
  }

  // A configuration document that describes another issuer is not this issuer's.
  const genuine = mock.issuer.url!
  mock.issuer.url = 'https://elsewhere.example'
  t.teardown(() => {
    mock.issuer.url = genuine
  })
  const credentialsPath = writeCredentials(t, { oidc: { corp: { ...oidc, issuer: genuine } } })
  await t.rejects(startApp(t, { credentialsPath }), {
    code: 'LOGIN_ERR_CONFIG',
    message: /names another issuer: "https:\/\/elsewhere\.example"/,
  })
})

t.test('LOGIN_PROVIDER_TIMEOUT_MS is a setting like the others', t => {
  t.equal(loadConfig({}).providerTimeoutMs, 5000)
  t.equal(loadConfig({ LOGIN_PROVIDER_TIMEOUT_MS: '1500' }).providerTimeoutMs, 1500)
  t.throws(() => loadConfig({ LOGIN_PROVIDER_TIMEOUT_MS: '0' }), {
    code: 'LOGIN_ERR_CONFIG',
    message: /LOGIN_PROVIDER_TIMEOUT_MS must be a whole number ≥ 1/,
  })
  t.end()
})
