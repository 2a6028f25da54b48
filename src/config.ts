import proxyAddr from '@fastify/proxy-addr'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { errors } from './errors.js'
import { readJsonFile } from './json-file.js'

/**
 * Everything the server and the CLI can be told. Built once by
 * {@link loadConfig}, validated, then frozen: nothing else reads
 * `process.env`.
 */
export interface Config {
  /** TCP port to listen on (`LOGIN_PORT`, 8000). */
  readonly port: number
  /** Interface to bind (`LOGIN_HOST`, `localhost`). */
  readonly host: string
  /** External base URL used in links and OAuth callbacks (`LOGIN_PUBLIC_URL`, `http://localhost:<port>`). */
  readonly publicUrl: string
  /** Folder for the SQLite database, pid and log files (`LOGIN_RUN_DIR`, `run`). */
  readonly runDir: string
  /** A `postgres://` URL that every node shares (`LOGIN_DATABASE`); unset = SQLite under `runDir`. */
  readonly database: string | null
  /** A write waits this long at most for the database's write lock, then answers 503 (`LOGIN_DATABASE_LOCK_TIMEOUT_MS`, 5000). */
  readonly databaseLockTimeoutMs: number
  /** Debug mode: enables the `test` provider (`LOGIN_DEBUG`, false). */
  readonly debug: boolean
  /** Parent domain shared by every app: cookie domain and redirect allow-list root (`LOGIN_SITE`, `localhost`). */
  readonly site: string
  /** Extra hosts that `next` may point to (`LOGIN_ALLOWED_REDIRECT_HOSTS`, comma separated). */
  readonly allowedRedirectHosts: readonly string[]
  /** memcached servers as `host:port` (`LOGIN_MEMCACHED`, comma separated); empty = in-process cache. */
  readonly memcached: readonly string[]
  /** Path of `credentials.json` (`LOGIN_CREDENTIALS`); null when none exists. */
  readonly credentialsPath: string | null
  /** Lifetime of a lease, in seconds (`LOGIN_LEASE_SECONDS`, 3600). */
  readonly leaseSeconds: number
  /** A session unrefreshed for this long ends (`LOGIN_IDLE_SECONDS`, off). */
  readonly idleSeconds: number | null
  /** A session ends this long after sign-in (`LOGIN_MAX_AGE_SECONDS`, off). */
  readonly maxAgeSeconds: number | null
  /** Name of the session cookie (`LOGIN_COOKIE_NAME`, `login`). */
  readonly cookieName: string
  /**
   * Which reverse proxies may say who the visitor is in `X-Forwarded-For`
   * (and `-Proto`, `-Host`) (`LOGIN_TRUST_PROXY`, off): how many stand in
   * front of the server (`1`: the one nginx), or their addresses and CIDR
   * ranges; 0 trusts none.
   */
  readonly trustProxy: number | readonly string[]
  /** Sign-in attempts allowed per client IP and minute (`LOGIN_RATE_LIMIT`, 60). */
  readonly rateLimit: number
  /**
   * Unfinished OpenID Connect sign-ins (authorization requests waiting for
   * the user) one client IP may hold at once (`LOGIN_OIDC_INTERACTIONS_PER_IP`, 100).
   */
  readonly oidcInteractionsPerIp: number
  /** Requests one app connection may send per second on the realtime channel, and in one burst (`LOGIN_CHANNEL_RATE_LIMIT`, 1000). */
  readonly channelRateLimit: number
  /** Log level (`LOGIN_LOG_LEVEL`, `info`). */
  readonly logLevel: string
  /** How long a call to an OAuth provider (discovery, token, profile) may take, in milliseconds (`LOGIN_PROVIDER_TIMEOUT_MS`, 5000). */
  readonly providerTimeoutMs: number
  /** A request must arrive whole within this many milliseconds, or its socket is closed (`LOGIN_REQUEST_TIMEOUT_MS`, 30000). */
  readonly requestTimeoutMs: number
  /** An idle keep-alive connection is closed after this many milliseconds (`LOGIN_KEEP_ALIVE_TIMEOUT_MS`, 5000). */
  readonly keepAliveTimeoutMs: number
  /** Server processes sharing the port and `run/` (`LOGIN_WORKERS`, 1); each relays every process's revocations to its apps. */
  readonly workers: number
  /** Port of the Prometheus `/metrics` endpoint (`LOGIN_METRICS_PORT`); null = no metrics endpoint. */
  readonly metricsPort: number | null
  /** Interface the metrics endpoint binds (`LOGIN_METRICS_HOST`, `127.0.0.1`). */
  readonly metricsHost: string
}

type Raw = string | number | boolean | string[] | null | undefined

interface Setting<K extends keyof Config> {
  key: K
  env: string
  parse: (value: Raw, name: string) => Config[K]
}

function fail(name: string, why: string): never {
  throw new errors.Config(`${name} ${why}`)
}

function integer(min: number) {
  return (value: Raw, name: string): number => {
    // Digits only: Number() would read '' and '  ' as 0, and accept '0x1f' or '8e3'.
    const n =
      typeof value === 'number'
        ? value
        : /^\s*-?\d+\s*$/.test(String(value))
          ? Number(String(value).trim())
          : Number.NaN
    if (!Number.isInteger(n) || n < min) fail(name, `must be a whole number ≥ ${min}, got ${JSON.stringify(value)}`)
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
 * `X-Forwarded-For` would then be their address (README, "Security").
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

function text(value: Raw, name: string): string {
  const s = String(value ?? '').trim()
  if (!s) fail(name, 'must not be empty')
  return s
}

const settings: { [K in keyof Config]: Setting<K> } = {
  port: { key: 'port', env: 'LOGIN_PORT', parse: port },
  host: { key: 'host', env: 'LOGIN_HOST', parse: text },
  publicUrl: {
    key: 'publicUrl',
    env: 'LOGIN_PUBLIC_URL',
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
  runDir: { key: 'runDir', env: 'LOGIN_RUN_DIR', parse: (v, n) => resolve(text(v, n)) },
  database: {
    key: 'database',
    env: 'LOGIN_DATABASE',
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
    key: 'databaseLockTimeoutMs',
    env: 'LOGIN_DATABASE_LOCK_TIMEOUT_MS',
    parse: integer(10),
  },
  debug: { key: 'debug', env: 'LOGIN_DEBUG', parse: boolean },
  site: { key: 'site', env: 'LOGIN_SITE', parse: hostName },
  allowedRedirectHosts: {
    key: 'allowedRedirectHosts',
    env: 'LOGIN_ALLOWED_REDIRECT_HOSTS',
    parse: (v, n) => list(v).map(h => hostName(h, n)),
  },
  memcached: {
    key: 'memcached',
    env: 'LOGIN_MEMCACHED',
    parse: (v, n) =>
      list(v).map(server => {
        if (!/^[A-Za-z0-9_.[\]:-]+:\d{1,5}$/.test(server))
          fail(n, `entries must be host:port, got ${JSON.stringify(server)}`)
        return server
      }),
  },
  credentialsPath: {
    key: 'credentialsPath',
    env: 'LOGIN_CREDENTIALS',
    parse: (v, n) => {
      const path = resolve(text(v, n))
      if (!existsSync(path)) fail(n, `names ${path}, which does not exist`)
      return path
    },
  },
  leaseSeconds: { key: 'leaseSeconds', env: 'LOGIN_LEASE_SECONDS', parse: integer(1) },
  idleSeconds: { key: 'idleSeconds', env: 'LOGIN_IDLE_SECONDS', parse: optionalInteger(1) },
  maxAgeSeconds: { key: 'maxAgeSeconds', env: 'LOGIN_MAX_AGE_SECONDS', parse: optionalInteger(1) },
  cookieName: {
    key: 'cookieName',
    env: 'LOGIN_COOKIE_NAME',
    parse: (v, n) => {
      const s = text(v, n)
      if (!/^[A-Za-z0-9_-]+$/.test(s)) fail(n, 'may only hold letters, digits, _ and -')
      return s
    },
  },
  trustProxy: { key: 'trustProxy', env: 'LOGIN_TRUST_PROXY', parse: trustedProxies },
  rateLimit: { key: 'rateLimit', env: 'LOGIN_RATE_LIMIT', parse: integer(1) },
  oidcInteractionsPerIp: { key: 'oidcInteractionsPerIp', env: 'LOGIN_OIDC_INTERACTIONS_PER_IP', parse: integer(1) },
  channelRateLimit: { key: 'channelRateLimit', env: 'LOGIN_CHANNEL_RATE_LIMIT', parse: integer(1) },
  providerTimeoutMs: { key: 'providerTimeoutMs', env: 'LOGIN_PROVIDER_TIMEOUT_MS', parse: integer(1) },
  requestTimeoutMs: { key: 'requestTimeoutMs', env: 'LOGIN_REQUEST_TIMEOUT_MS', parse: integer(100) },
  keepAliveTimeoutMs: { key: 'keepAliveTimeoutMs', env: 'LOGIN_KEEP_ALIVE_TIMEOUT_MS', parse: integer(100) },
  workers: {
    key: 'workers',
    env: 'LOGIN_WORKERS',
    parse: (v, n) => {
      const w = integer(1)(v, n)
      if (w > 64) fail(n, 'must be at most 64')
      return w
    },
  },
  metricsPort: {
    key: 'metricsPort',
    env: 'LOGIN_METRICS_PORT',
    parse: (v, n) => (v === undefined || v === null || v === '' || v === 'off' ? null : port(v, n)),
  },
  metricsHost: { key: 'metricsHost', env: 'LOGIN_METRICS_HOST', parse: text },
  logLevel: {
    key: 'logLevel',
    env: 'LOGIN_LOG_LEVEL',
    parse: (v, n) => {
      const s = text(v, n)
      if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(s))
        fail(n, 'must be one of fatal, error, warn, info, debug, trace, silent')
      return s
    },
  },
}

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
      const setting = Object.values(settings).find(s => fileKey(s.key) === name)
      if (!setting) fail(`${env.LOGIN_CONFIG}: "${name}"`, 'is not a known setting')
      raw.set(setting.key, value as Raw)
      names.set(setting.key, `${env.LOGIN_CONFIG}: "${name}"`)
    }
  }
  for (const setting of Object.values(settings)) {
    const value = env[setting.env]
    if (value !== undefined) {
      raw.set(setting.key, value)
      names.set(setting.key, setting.env)
    }
  }

  const parsed: { -readonly [K in keyof Config]?: Config[K] } = {}
  for (const setting of Object.values(settings) as Setting<keyof Config>[]) {
    if (raw.has(setting.key))
      (parsed as Record<string, unknown>)[setting.key] = setting.parse(
        raw.get(setting.key),
        names.get(setting.key) ?? setting.env,
      )
  }

  const port = parsed.port ?? 8000
  const runDir = parsed.runDir ?? resolve('run')
  const config: Config = {
    port,
    host: 'localhost',
    publicUrl: `http://localhost:${port}`,
    runDir,
    database: null,
    databaseLockTimeoutMs: 5000,
    debug: false,
    site: 'localhost',
    allowedRedirectHosts: [],
    memcached: [],
    credentialsPath: defaultCredentials(runDir),
    leaseSeconds: 3600,
    idleSeconds: null,
    maxAgeSeconds: null,
    cookieName: 'login',
    trustProxy: 0,
    rateLimit: 60,
    oidcInteractionsPerIp: 100,
    channelRateLimit: 1000,
    logLevel: 'info',
    providerTimeoutMs: 5000,
    requestTimeoutMs: 30_000,
    keepAliveTimeoutMs: 5000,
    workers: 1,
    metricsPort: null,
    metricsHost: '127.0.0.1',
    ...parsed,
    ...overrides,
  }
  return Object.freeze(config)
}

/** Whether cookies must carry `Secure`: the server is reached over https. */
export function servesHttps(config: Config): boolean {
  return config.publicUrl.startsWith('https:')
}
