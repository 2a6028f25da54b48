import proxyAddr from '@fastify/proxy-addr'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { errors } from './errors.js'
import { readJsonFile } from './json-file.js'

/**
 * Everything the server and the CLI can be told. Built once by
 * {@link loadConfig}, validated, then frozen: nothing else reads
 * `process.env`. What each setting means, its variable and its default are
 * its entry in {@link settings}, which docs/operating.md, "Configuration",
 * shows.
 */
export interface Config {
  readonly port: number
  readonly host: string
  readonly publicUrl: string
  readonly runDir: string
  /** A `postgres://` URL; null = SQLite under `runDir`. */
  readonly database: string | null
  readonly databaseLockTimeoutMs: number
  readonly debug: boolean
  readonly site: string
  readonly allowedRedirectHosts: readonly string[]
  /** `host:port` of each server; empty = the in-process cache. */
  readonly memcached: readonly string[]
  /** null when no credentials file exists: no OAuth provider is offered. */
  readonly credentialsPath: string | null
  readonly leaseSeconds: number
  /** null = off. */
  readonly idleSeconds: number | null
  /** null = off. */
  readonly maxAgeSeconds: number | null
  readonly cookieName: string
  /** How long a device sign-in's user code may be entered (RFC 8628). */
  readonly deviceCodeSeconds: number
  /** How many proxies stand in front (0: none), or their addresses and CIDR ranges. */
  readonly trustProxy: number | readonly string[]
  readonly rateLimit: number
  readonly oidcInteractionsPerIp: number
  readonly channelRateLimit: number
  readonly channelConnectionsPerApp: number
  readonly providerTimeoutMs: number
  readonly requestTimeoutMs: number
  readonly keepAliveTimeoutMs: number
  readonly workers: number
  /** null = no metrics endpoint. */
  readonly metricsPort: number | null
  readonly metricsHost: string
  readonly logLevel: string
  /** What `/login/check` answers when no access rule matches. */
  readonly defaultRule: 'signed-in' | 'deny'
  readonly passkeySignup: PasskeySignup
  /** null = the origin of `publicUrl`. */
  readonly passkeyOrigins: readonly string[] | null
}

export type PasskeySignup = 'invited' | 'open' | 'off'

type Raw = string | number | boolean | string[] | null | undefined

/**
 * One setting: how it is given, read and explained. Its name in a config file is its key in snake_case
 * (`leaseSeconds` → `lease_seconds`).
 */
type Setting<K extends keyof Config> = {
  /** The environment variable. */
  env: string
  /** What it does, for the configuration reference (markdown, one line). */
  doc: string
  /** Reads a value from the environment (a string) or the config file (any JSON value); `name` says where it came from. */
  parse: (value: Raw, name: string) => Config[K]
} & (
  | {
      /** The value when nothing sets it. */
      default: Config[K]
      /** How the reference shows the default, when the value itself would say it badly. */
      shown?: string
    }
  | {
      /** The value when nothing sets it, from the settings above this one in the table as already decided. */
      default: (settled: Config) => Config[K]
      shown: string
    }
)

function fail(name: string, why: string): never {
  throw new errors.Config(`${name} ${why}`)
}

/** A whole number from `min` to `max`. */
function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: Raw, name: string): number => {
    // Digits only: Number() would read '' and '  ' as 0, and accept '0x1f' or '8e3'.
    const n =
      typeof value === 'number'
        ? value
        : /^\s*-?\d+\s*$/.test(String(value))
          ? Number(String(value).trim())
          : Number.NaN
    if (!Number.isInteger(n) || n < min) fail(name, `must be a whole number ≥ ${min}, got ${JSON.stringify(value)}`)
    if (n > max) fail(name, `must be at most ${max}`)
    return n
  }
}

function optionalInteger(min: number) {
  const parse = integer(min)
  return (value: Raw, name: string): number | null =>
    value === undefined || value === null || value === '' || value === 'off' ? null : parse(value, name)
}

function port(value: Raw, name: string): number {
  const p = integer(0)(value, name)
  if (p > 65535) fail(name, 'must be at most 65535')
  return p
}

function boolean(value: Raw, name: string): boolean {
  if (typeof value === 'boolean') return value
  const text = String(value ?? '')
    .trim()
    .toLowerCase()
  if (['1', 'true', 'yes', 'on'].includes(text)) return true
  if (['', '0', 'false', 'no', 'off'].includes(text)) return false
  fail(name, `must be true or false, got ${JSON.stringify(value)}`)
}

function list(value: Raw): string[] {
  if (Array.isArray(value))
    return value
      .map(String)
      .map(s => s.trim())
      .filter(Boolean)
  return String(value ?? '')
    .split(',')
    .map(s => s.trim())
    .filter(Boolean)
}

const EVERY_HOP = ['true', 'yes', 'on']
const NO_PROXY = ['', 'false', 'no', 'off']

/**
 * `LOGIN_TRUST_PROXY`: a hop count or the proxies' addresses. `true` is
 * refused rather than read as "every hop": the visitor's own leftmost
 * `X-Forwarded-For` would then be their address (docs/security.md, "The
 * visitor's address").
 */
function trustedProxies(value: Raw, name: string): number | readonly string[] {
  const text = Array.isArray(value)
    ? ''
    : String(value ?? '')
        .trim()
        .toLowerCase()
  if (value === true || EVERY_HOP.includes(text))
    fail(
      name,
      'would trust every hop, so that visitors could choose their own address with X-Forwarded-For: ' +
        'give the number of proxies in front of the server (1 for one proxy, such as nginx on the same machine) ' +
        'or their addresses (127.0.0.1, 10.0.0.0/8)',
    )
  if (value === false || NO_PROXY.includes(text)) return 0
  if (typeof value === 'number' || /^\s*-?\d+\s*$/.test(text)) return integer(0)(value, name)
  const proxies = list(value)
  try {
    proxyAddr.compile(proxies)
  } catch (error) {
    fail(name, `must be a number of proxies or their addresses and CIDR ranges: ${(error as Error).message}`)
  }
  return proxies
}

const HOST_NAME = /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/

function hostName(value: Raw, name: string): string {
  const host = String(value ?? '')
    .trim()
    .toLowerCase()
    .replace(/^\./, '')
  if (!HOST_NAME.test(host)) fail(name, `must be a host name such as example.com, got ${JSON.stringify(value)}`)
  return host
}

/** An http(s) origin (scheme, host, port), from a URL with nothing after the host. */
function origin(value: string, name: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    fail(name, `entries must be origins such as https://login.example.com, got ${JSON.stringify(value)}`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail(name, `${value} must use http or https`)
  if (url.pathname !== '/' || url.search || url.hash || url.username || url.password)
    fail(name, `${value} must be an origin only: scheme, host and port`)
  return url.origin
}

function text(value: Raw, name: string): string {
  const s = String(value ?? '').trim()
  if (!s) fail(name, 'must not be empty')
  return s
}

/**
 * Every setting, in the order the reference lists them and the order they are checked in. A new setting is a field of
 * {@link Config} and an entry here; `npm run docs:config` then writes it into docs/operating.md.
 */
const settings: { [K in keyof Config]: Setting<K> } = {
  port: { env: 'LOGIN_PORT', default: 8000, doc: 'port to listen on', parse: port },
  host: { env: 'LOGIN_HOST', default: 'localhost', doc: 'interface to bind (`0.0.0.0` for all)', parse: text },
  publicUrl: {
    env: 'LOGIN_PUBLIC_URL',
    default: ({ port }) => `http://localhost:${port}`,
    shown: '`http://localhost:<port>`',
    doc: 'external base URL, used in links and OAuth callbacks; `https://…` makes cookies `Secure`',
    parse: (v, n) => {
      let url: URL
      try {
        url = new URL(text(v, n))
      } catch {
        fail(n, `must be an absolute http(s) URL, got ${JSON.stringify(v)}`)
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') fail(n, 'must use http or https')
      if (url.search || url.hash || url.username) fail(n, 'must not carry a query, fragment or credentials')
      return url.href.replace(/\/$/, '')
    },
  },
  runDir: {
    env: 'LOGIN_RUN_DIR',
    default: () => resolve('run'),
    shown: '`run`',
    doc: 'the SQLite database (with the signing keys and secrets), pid and log files',
    parse: (v, n) => resolve(text(v, n)),
  },
  database: {
    env: 'LOGIN_DATABASE',
    default: null,
    doc:
      '`postgres://user:password@host/db`: the PostgreSQL every node of a deployment shares ' +
      '(see [Running several nodes](#running-several-nodes)); unset = SQLite under `LOGIN_RUN_DIR`',
    parse: (v, n) => {
      const raw = String(v ?? '').trim()
      if (!raw) return null
      let url: URL
      try {
        url = new URL(raw)
      } catch {
        fail(n, 'must be a postgres:// URL such as postgres://login:secret@db.example.org/login')
      }
      if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') fail(n, 'must be a postgres:// URL')
      return raw
    },
  },
  databaseLockTimeoutMs: {
    env: 'LOGIN_DATABASE_LOCK_TIMEOUT_MS',
    default: 5000,
    doc:
      "how long a write waits at most for the database's write lock (another transaction's, or a role " +
      'holding it) before it is answered 503 `LOGIN_ERR_UNAVAILABLE`',
    parse: integer(10),
  },
  debug: {
    env: 'LOGIN_DEBUG',
    default: false,
    doc: 'debug mode: the `test` provider (set by `server.sh debug`)',
    parse: boolean,
  },
  site: {
    env: 'LOGIN_SITE',
    default: 'localhost',
    doc: 'the parent domain every app shares: cookie domain and root of the redirect allow-list',
    parse: hostName,
  },
  allowedRedirectHosts: {
    env: 'LOGIN_ALLOWED_REDIRECT_HOSTS',
    default: [],
    doc: 'extra hosts `next` may point to (comma separated, exact names)',
    parse: (v, n) => list(v).map(h => hostName(h, n)),
  },
  memcached: {
    env: 'LOGIN_MEMCACHED',
    default: [],
    doc: 'memcached servers, `host:port,…`; unset = in-process cache',
    parse: (v, n) =>
      list(v).map(server => {
        if (!/^[A-Za-z0-9_.[\]:-]+:\d{1,5}$/.test(server))
          fail(n, `entries must be host:port, got ${JSON.stringify(server)}`)
        return server
      }),
  },
  credentialsPath: {
    env: 'LOGIN_CREDENTIALS',
    default: ({ runDir }) => defaultCredentials(runDir),
    shown: '`credentials.json`, then `run/credentials.json`',
    doc: 'OAuth provider credentials (see [Sign-in and sessions](sign-in.md#2-write-credentialsjson))',
    parse: (v, n) => {
      const path = resolve(text(v, n))
      if (!existsSync(path)) fail(n, `names ${path}, which does not exist`)
      return path
    },
  },
  leaseSeconds: {
    env: 'LOGIN_LEASE_SECONDS',
    default: 3600,
    doc: 'lifetime of a lease (the signed cookie); past it the lease is re-issued while the session lives',
    parse: integer(1),
  },
  idleSeconds: {
    env: 'LOGIN_IDLE_SECONDS',
    default: null,
    shown: 'off',
    doc:
      'a session whose lease was not refreshed for this long ends ' +
      '(checked at refresh, so keep it above the lease time)',
    parse: optionalInteger(1),
  },
  maxAgeSeconds: {
    env: 'LOGIN_MAX_AGE_SECONDS',
    default: null,
    shown: 'off',
    doc: 'a session ends this long after sign-in',
    parse: optionalInteger(1),
  },
  cookieName: {
    env: 'LOGIN_COOKIE_NAME',
    default: 'login',
    doc: 'name of the session cookie',
    parse: (v, n) => {
      const s = text(v, n)
      if (!/^[A-Za-z0-9_-]+$/.test(s)) fail(n, 'may only hold letters, digits, _ and -')
      return s
    },
  },
  deviceCodeSeconds: {
    env: 'LOGIN_DEVICE_CODE_SECONDS',
    default: 600,
    doc:
      'how long the code a TV or command-line tool shows may be entered at `/login/device` ' +
      '(see [Device sign-in](openid-provider.md#device-sign-in))',
    // A day at most: a code that lasts longer is one more for guessers to find.
    parse: integer(30, 86_400),
  },
  trustProxy: {
    env: 'LOGIN_TRUST_PROXY',
    default: 0,
    shown: 'off',
    doc:
      'the reverse proxies trusted to say who the visitor is (`X-Forwarded-For`, `-Proto`, `-Host`): how many ' +
      'stand in front of the server (`1` for one nginx, which must then be the only way in) or their addresses ' +
      'and CIDR ranges (`127.0.0.1,10.0.0.0/8`); `true` is refused (see [Forward-auth](forward-auth.md))',
    parse: trustedProxies,
  },
  rateLimit: {
    env: 'LOGIN_RATE_LIMIT',
    default: 60,
    doc:
      'sign-in attempts per client IP and minute ' +
      '(set `LOGIN_TRUST_PROXY` behind a proxy, or every user shares one limit)',
    parse: integer(1),
  },
  oidcInteractionsPerIp: {
    env: 'LOGIN_OIDC_INTERACTIONS_PER_IP',
    default: 100,
    doc:
      'unfinished OpenID Connect sign-ins (authorization requests waiting for the user, 10 minutes each) one ' +
      'client IP may hold at once, over every node; beyond it the client gets `temporarily_unavailable`',
    parse: integer(1),
  },
  channelRateLimit: {
    env: 'LOGIN_CHANNEL_RATE_LIMIT',
    default: 1000,
    doc:
      'requests one app may send per second on the realtime channel (and in one burst), all its connections ' +
      'to one server process together; beyond it they are answered `LOGIN_ERR_RATE_LIMITED`',
    parse: integer(1),
  },
  channelConnectionsPerApp: {
    env: 'LOGIN_CHANNEL_CONNECTIONS_PER_APP',
    default: 16,
    doc:
      'realtime connections one app may hold open to one server process (each worker and node counts ' +
      'its own); the next is refused with close code 4006',
    parse: integer(1),
  },
  providerTimeoutMs: {
    env: 'LOGIN_PROVIDER_TIMEOUT_MS',
    default: 5000,
    doc: 'how long one call to an OAuth provider (discovery, token, profile, keys) may take',
    parse: integer(1),
  },
  requestTimeoutMs: {
    env: 'LOGIN_REQUEST_TIMEOUT_MS',
    default: 30_000,
    doc: 'a request must arrive whole (headers and body) within this, or its socket is closed',
    parse: integer(100),
  },
  keepAliveTimeoutMs: {
    env: 'LOGIN_KEEP_ALIVE_TIMEOUT_MS',
    default: 5000,
    doc: 'an idle keep-alive connection is closed after this',
    parse: integer(100),
  },
  workers: {
    env: 'LOGIN_WORKERS',
    default: 1,
    doc:
      'server processes sharing the port and `run/` (at most 64); ' +
      "each relays every process's revocations to its apps",
    parse: integer(1, 64),
  },
  metricsPort: {
    env: 'LOGIN_METRICS_PORT',
    default: null,
    shown: 'off',
    doc:
      'serve Prometheus metrics at `http://<LOGIN_METRICS_HOST>:<port>/metrics` and what is ready and why at ' +
      '`/ready` (see [Metrics](#metrics))',
    parse: (v, n) => (v === undefined || v === null || v === '' || v === 'off' ? null : port(v, n)),
  },
  metricsHost: {
    env: 'LOGIN_METRICS_HOST',
    default: '127.0.0.1',
    doc: 'interface the metrics endpoint binds',
    parse: text,
  },
  logLevel: {
    env: 'LOGIN_LOG_LEVEL',
    default: 'info',
    doc: '`fatal` … `trace`, or `silent` (see [Logs](#logs))',
    parse: (v, n) => {
      const s = text(v, n)
      if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(s))
        fail(n, 'must be one of fatal, error, warn, info, debug, trace, silent')
      return s
    },
  },
  defaultRule: {
    env: 'LOGIN_DEFAULT_RULE',
    default: 'signed-in',
    doc:
      'what `/login/check` answers when no access rule matches: `signed-in` (anyone signed in passes) or `deny` ' +
      '(see [Access rules](forward-auth.md#access-rules))',
    parse: (v, n) => {
      const s = text(v, n)
      if (s !== 'signed-in' && s !== 'deny') fail(n, 'must be signed-in or deny')
      return s
    },
  },
  passkeySignup: {
    env: 'LOGIN_PASSKEY_SIGNUP',
    default: 'invited',
    doc:
      'who may create an account with nothing but a passkey: `invited` people opening an invitation, `open` ' +
      'anyone (a button on `/login` too), `off` nobody (see [Passkeys](passkeys.md))',
    parse: (v, n) => {
      const s = text(v, n).toLowerCase()
      if (s !== 'invited' && s !== 'open' && s !== 'off')
        fail(n, `must be invited, open or off, got ${JSON.stringify(v)}`)
      return s
    },
  },
  passkeyOrigins: {
    env: 'LOGIN_PASSKEY_ORIGINS',
    default: null,
    shown: 'the origin of `LOGIN_PUBLIC_URL`',
    doc:
      'comma-separated origins (`https://login.example.com`) whose pages may use the passkeys of the site, ' +
      'each on `LOGIN_SITE` (see [Passkeys](passkeys.md))',
    parse: (v, n) => {
      const origins = list(v).map(entry => origin(entry, n))
      if (origins.length === 0) fail(n, 'must name at least one origin')
      return origins
    },
  },
}

/**
 * What one setting requires of another, checked once all are known: a
 * passkey origin must be on the site, the passkeys' relying-party ID, or
 * browsers refuse its pages the site's passkeys.
 */
function checkAgreement(config: Config, names: Map<keyof Config, string>): void {
  for (const entry of config.passkeyOrigins ?? []) {
    const host = new URL(entry).hostname
    if (host !== config.site && !host.endsWith(`.${config.site}`))
      fail(
        names.get('passkeyOrigins') ?? settings.passkeyOrigins.env,
        `${entry} is not on the site ${config.site}, which passkeys belong to`,
      )
  }
}

const keys = Object.keys(settings) as (keyof Config)[]

/** Snake-case name of a setting in a config file: `leaseSeconds` → `lease_seconds`. */
function fileKey(key: string): string {
  return key.replace(/[A-Z]/g, c => '_' + c.toLowerCase())
}

function defaultCredentials(runDir: string): string | null {
  for (const candidate of [resolve('credentials.json'), resolve(runDir, 'credentials.json')]) {
    if (existsSync(candidate)) return candidate
  }
  return null
}

/**
 * Builds the configuration from, in increasing priority: the defaults, the
 * JSON file named by `LOGIN_CONFIG` (snake_case keys such as
 * `lease_seconds`), the `LOGIN_*` environment variables, and `overrides`
 * (used by tests and the CLI). Throws `LOGIN_ERR_CONFIG` naming the first
 * bad setting.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const raw = new Map<keyof Config, Raw>()
  const names = new Map<keyof Config, string>()

  if (env.LOGIN_CONFIG) {
    const file = readJsonFile(env.LOGIN_CONFIG, `LOGIN_CONFIG ${env.LOGIN_CONFIG}`)
    if (typeof file !== 'object' || file === null || Array.isArray(file))
      fail('LOGIN_CONFIG', 'must hold a JSON object')
    for (const [name, value] of Object.entries(file)) {
      const key = keys.find(key => fileKey(key) === name)
      if (!key) fail(`${env.LOGIN_CONFIG}: "${name}"`, 'is not a known setting')
      raw.set(key, value as Raw)
      names.set(key, `${env.LOGIN_CONFIG}: "${name}"`)
    }
  }
  for (const key of keys) {
    const value = env[settings[key].env]
    if (value !== undefined) {
      raw.set(key, value)
      names.set(key, settings[key].env)
    }
  }

  // In table order: a default may depend on the settings above it (as given, not as overridden).
  const config: Record<string, unknown> = {}
  for (const key of keys) {
    const setting = settings[key] as Setting<keyof Config>
    config[key] = raw.has(key)
      ? setting.parse(raw.get(key), names.get(key) ?? setting.env)
      : typeof setting.default === 'function'
        ? setting.default(config as unknown as Config)
        : setting.default
  }
  const settled: Config = { ...(config as unknown as Config), ...overrides }
  checkAgreement(settled, names)
  return Object.freeze(settled)
}

/** One row of the configuration reference (docs/operating.md, "Configuration"). */
export interface SettingReference {
  /** Its key in a `LOGIN_CONFIG` file. */
  name: string
  env: string
  /** The default as the reference shows it (markdown). */
  default: string
  /** What it does (markdown). */
  doc: string
}

/** Every setting, in the table's order, as the configuration reference lists it. */
export function settingsReference(): SettingReference[] {
  return keys.map(key => {
    const setting = settings[key] as Setting<keyof Config>
    return { name: fileKey(key), env: setting.env, default: setting.shown ?? shown(setting.default), doc: setting.doc }
  })
}

/** A default as the reference shows it: `off` for false, `none` for nothing, else the value as code. */
function shown(value: Config[keyof Config] | ((settled: Config) => unknown)): string {
  if (value === false) return 'off'
  if (value === null || (Array.isArray(value) && value.length === 0)) return 'none'
  return `\`${String(value)}\``
}

/** Whether cookies must carry `Secure`: the server is reached over https. */
export function servesHttps(config: Config): boolean {
  return config.publicUrl.startsWith('https:')
}
