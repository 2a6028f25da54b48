import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { loadConfig, servesHttps } from '../src/config.js'
import { tempDir } from './helpers/temp-dir.js'

/** A config file in a fresh folder, answered as the env that names it. */
function configFile(tt: Parameters<typeof tempDir>[0], content: unknown): { LOGIN_CONFIG: string } {
  const path = join(tempDir(tt, 'login-config-'), 'login.json')
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content))
  return { LOGIN_CONFIG: path }
}

t.test('defaults: every setting has a sane value without any configuration', async t => {
  const config = loadConfig({})
  t.match(config, {
    port: 8000,
    host: 'localhost',
    publicUrl: 'http://localhost:8000',
    runDir: resolve('run'),
    debug: false,
    site: 'localhost',
    allowedRedirectHosts: [],
    memcached: [],
    leaseSeconds: 3600,
    idleSeconds: null,
    maxAgeSeconds: null,
    cookieName: 'login',
    trustProxy: 0,
    rateLimit: 60,
    channelRateLimit: 1000,
    deviceCodeSeconds: 600,
    logLevel: 'info',
    passkeySignup: 'invited',
    passkeyOrigins: null,
  })
  t.ok(Object.isFrozen(config), 'frozen')
  t.equal(servesHttps(config), false)
})

t.test('valid settings from the environment are parsed', async t => {
  const cases: { env: Record<string, string>; expect: Record<string, unknown> }[] = [
    { env: { LOGIN_PORT: '9000' }, expect: { port: 9000, publicUrl: 'http://localhost:9000' } },
    { env: { LOGIN_PORT: ' 0 ' }, expect: { port: 0 } },
    { env: { LOGIN_PUBLIC_URL: 'https://login.example.com/' }, expect: { publicUrl: 'https://login.example.com' } },
    { env: { LOGIN_SITE: '.Example.COM' }, expect: { site: 'example.com' } },
    {
      env: { LOGIN_ALLOWED_REDIRECT_HOSTS: 'partner.org, Other.NET ,' },
      expect: { allowedRedirectHosts: ['partner.org', 'other.net'] },
    },
    {
      env: { LOGIN_MEMCACHED: '127.0.0.1:11211,cache.internal:11212' },
      expect: { memcached: ['127.0.0.1:11211', 'cache.internal:11212'] },
    },
    { env: { LOGIN_MEMCACHED: '' }, expect: { memcached: [] } },
    { env: { LOGIN_LEASE_SECONDS: '60' }, expect: { leaseSeconds: 60 } },
    {
      env: { LOGIN_IDLE_SECONDS: '7200', LOGIN_MAX_AGE_SECONDS: '86400' },
      expect: { idleSeconds: 7200, maxAgeSeconds: 86400 },
    },
    {
      env: { LOGIN_IDLE_SECONDS: 'off', LOGIN_MAX_AGE_SECONDS: '' },
      expect: { idleSeconds: null, maxAgeSeconds: null },
    },
    { env: { LOGIN_DEBUG: 'yes', LOGIN_TRUST_PROXY: '1' }, expect: { debug: true, trustProxy: 1 } },
    { env: { LOGIN_DEBUG: 'off', LOGIN_TRUST_PROXY: '' }, expect: { debug: false, trustProxy: 0 } },
    { env: { LOGIN_TRUST_PROXY: '10.0.0.1, 10.1.0.0/16' }, expect: { trustProxy: ['10.0.0.1', '10.1.0.0/16'] } },
    { env: { LOGIN_COOKIE_NAME: 'my_login-2' }, expect: { cookieName: 'my_login-2' } },
    { env: { LOGIN_RATE_LIMIT: '5', LOGIN_LOG_LEVEL: 'warn' }, expect: { rateLimit: 5, logLevel: 'warn' } },
    { env: { LOGIN_CHANNEL_RATE_LIMIT: '20' }, expect: { channelRateLimit: 20 } },
    { env: { LOGIN_DEVICE_CODE_SECONDS: '300' }, expect: { deviceCodeSeconds: 300 } },
    { env: { LOGIN_PASSKEY_SIGNUP: 'Open' }, expect: { passkeySignup: 'open' } },
    { env: { LOGIN_PASSKEY_SIGNUP: 'off' }, expect: { passkeySignup: 'off' } },
    {
      env: {
        LOGIN_SITE: 'example.com',
        LOGIN_PASSKEY_ORIGINS: 'https://login.example.com, https://example.com:8443/ ,https://app.example.com',
      },
      expect: {
        passkeyOrigins: ['https://login.example.com', 'https://example.com:8443', 'https://app.example.com'],
      },
    },
  ]
  for (const { env, expect } of cases) t.match(loadConfig(env), expect, JSON.stringify(env))
})

t.test('a bad environment setting stops the start with LOGIN_ERR_CONFIG naming it', async t => {
  const cases: [string, string][] = [
    ['LOGIN_PORT', 'abc'],
    ['LOGIN_PORT', '-1'],
    ['LOGIN_PORT', '65536'],
    ['LOGIN_PORT', '80.5'],
    ['LOGIN_PORT', ''],
    ['LOGIN_PORT', '   '],
    ['LOGIN_PORT', '0x1f'],
    ['LOGIN_PORT', '8e3'],
    ['LOGIN_LEASE_SECONDS', '0'],
    ['LOGIN_LEASE_SECONDS', 'abc'],
    ['LOGIN_LEASE_SECONDS', '1.5'],
    ['LOGIN_LEASE_SECONDS', '-60'],
    ['LOGIN_LEASE_SECONDS', ''],
    ['LOGIN_LEASE_SECONDS', '1h'],
    ['LOGIN_IDLE_SECONDS', '0'],
    ['LOGIN_MAX_AGE_SECONDS', 'never'],
    ['LOGIN_RATE_LIMIT', '0'],
    ['LOGIN_CHANNEL_RATE_LIMIT', '0'],
    ['LOGIN_DEVICE_CODE_SECONDS', '29'],
    ['LOGIN_DEVICE_CODE_SECONDS', '86401'],
    ['LOGIN_SITE', 'not a host'],
    ['LOGIN_SITE', 'http://example.com'],
    ['LOGIN_SITE', 'example..com'],
    ['LOGIN_SITE', 'example.com/path'],
    ['LOGIN_SITE', ''],
    ['LOGIN_SITE', 'evil.com;example.com'],
    ['LOGIN_ALLOWED_REDIRECT_HOSTS', 'partner.org,bad host'],
    ['LOGIN_PUBLIC_URL', 'login.example.com'],
    ['LOGIN_PUBLIC_URL', 'ftp://login.example.com'],
    ['LOGIN_PUBLIC_URL', 'https://login.example.com/?x=1'],
    ['LOGIN_PUBLIC_URL', 'https://user@login.example.com'],
    ['LOGIN_MEMCACHED', 'localhost'],
    ['LOGIN_MEMCACHED', '127.0.0.1:11211,bad host:1'],
    ['LOGIN_DEBUG', 'maybe'],
    ['LOGIN_TRUST_PROXY', 'true'],
    ['LOGIN_TRUST_PROXY', 'proxy.example.org'],
    ['LOGIN_COOKIE_NAME', 'a b'],
    ['LOGIN_COOKIE_NAME', 'login;domain=evil.com'],
    ['LOGIN_LOG_LEVEL', 'loud'],
    ['LOGIN_HOST', ' '],
    ['LOGIN_CREDENTIALS', '/nonexistent/credentials.json'],
    ['LOGIN_PASSKEY_SIGNUP', 'everyone'],
    ['LOGIN_PASSKEY_SIGNUP', ''],
    ['LOGIN_PASSKEY_ORIGINS', ''],
    ['LOGIN_PASSKEY_ORIGINS', 'login.localhost'],
    ['LOGIN_PASSKEY_ORIGINS', 'ftp://localhost'],
    ['LOGIN_PASSKEY_ORIGINS', 'http://localhost/login'],
    ['LOGIN_PASSKEY_ORIGINS', 'http://localhost?x=1'],
    // Off the site (localhost by default): a browser would refuse its pages the site's passkeys.
    ['LOGIN_PASSKEY_ORIGINS', 'https://evil.example'],
    ['LOGIN_PASSKEY_ORIGINS', 'http://localhost,http://127.0.0.1:8000'],
    ['LOGIN_PASSKEY_ORIGINS', 'http://notlocalhost'],
  ]
  for (const [name, value] of cases) {
    t.throws(
      () => loadConfig({ [name]: value }),
      {
        code: 'LOGIN_ERR_CONFIG',
        statusCode: 500,
        message: new RegExp(`^Invalid configuration: ${name} `),
      },
      `${name}=${JSON.stringify(value)}`,
    )
  }
})

t.test('the config file: snake_case keys, lower priority than the environment', async t => {
  const env = configFile(t, {
    lease_seconds: 60,
    site: 'example.com',
    allowed_redirect_hosts: ['partner.org'],
    debug: true,
    idle_seconds: null,
  })
  t.match(loadConfig(env), {
    leaseSeconds: 60,
    site: 'example.com',
    allowedRedirectHosts: ['partner.org'],
    debug: true,
    idleSeconds: null,
  })
  t.equal(loadConfig({ ...env, LOGIN_LEASE_SECONDS: '120' }).leaseSeconds, 120, 'the environment wins over the file')
  t.equal(
    loadConfig({ ...env, LOGIN_LEASE_SECONDS: '120' }, { leaseSeconds: 5 }).leaseSeconds,
    5,
    'overrides win over both',
  )
})

t.test('a bad config file stops the start with LOGIN_ERR_CONFIG naming the file and the setting', async t => {
  const cases: { content: unknown; message: RegExp }[] = [
    { content: { lease_secondz: 60 }, message: /login\.json: "lease_secondz" is not a known setting/ },
    { content: { leaseSeconds: 60 }, message: /"leaseSeconds" is not a known setting/ },
    { content: { lease_seconds: 0 }, message: /login\.json: "lease_seconds" must be a whole number/ },
    { content: { lease_seconds: '60s' }, message: /login\.json: "lease_seconds" must be a whole number/ },
    { content: { port: true }, message: /login\.json: "port" must be a whole number/ },
    { content: { site: 'exa mple.com' }, message: /login\.json: "site" must be a host name/ },
    { content: { debug: 'perhaps' }, message: /login\.json: "debug" must be true or false/ },
    { content: '{"lease_seconds": 60', message: /LOGIN_CONFIG .*login\.json is not valid JSON: line 1, column 21/ },
    { content: '[1, 2]', message: /LOGIN_CONFIG must hold a JSON object/ },
    { content: 'null', message: /LOGIN_CONFIG must hold a JSON object/ },
  ]
  for (const { content, message } of cases) {
    t.throws(() => loadConfig(configFile(t, content)), { code: 'LOGIN_ERR_CONFIG', message }, JSON.stringify(content))
  }
  t.throws(
    () => loadConfig({ LOGIN_CONFIG: '/nonexistent/login.json' }),
    { code: 'LOGIN_ERR_CONFIG', message: /LOGIN_CONFIG \/nonexistent\/login\.json could not be read \(ENOENT\)/ },
    'a config file that does not exist',
  )
})

t.test('https public URLs make cookies Secure', async t => {
  t.equal(servesHttps(loadConfig({ LOGIN_PUBLIC_URL: 'https://login.example.com' })), true)
  t.equal(servesHttps(loadConfig({ LOGIN_PUBLIC_URL: 'http://login.example.com' })), false)
})
