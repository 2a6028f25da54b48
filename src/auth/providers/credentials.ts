import { statSync } from 'node:fs'
import { errors } from '../../errors.js'
import { readJsonFile } from '../../json-file.js'
import { providerUrlProblem } from './provider-url.js'

/** An application registered at a preset provider (`credentials.json` → `"github": {...}`). */
export interface ClientCredentials {
  id: string
  secret: string
  /** Stands in for every host of the provider's endpoints (tests, staging); null for the real provider. */
  baseUrl: string | null
}

/** A generic OpenID Connect provider (`credentials.json` → `"oidc": {"<name>": {...}}`). */
export interface OidcCredentials {
  name: string
  label: string
  issuer: string
  id: string
  secret: string
  scope: readonly string[]
}

/** The parsed `credentials.json`: only the providers it names are offered. */
export interface Credentials {
  clients: ReadonlyMap<string, ClientCredentials>
  oidc: readonly OidcCredentials[]
}

type Entry = Record<string, unknown>
/** Stops the start, naming the offending key of the file. */
type Fail = (key: string, why: string) => never

// OIDC names become URL segments (`/login/oidc/<name>`) and identity providers (`oidc:<name>`).
const OIDC_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/
// RFC 6749 §2.3.1 / §3.3: client ids, secrets and scope tokens are printable ASCII.
const VSCHAR = /^[\x20-\x7E]+$/
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/
const DEFAULT_OIDC_SCOPE = ['openid', 'profile', 'email']

function quoted(keys: readonly string[]): string {
  return keys.map(k => JSON.stringify(k)).join(', ')
}

/** Reads and checks `credentials.json`; `presetIds` are the providers it may name besides `oidc`. */
export function loadCredentials(path: string | null, presetIds: readonly string[]): Credentials {
  if (path === null) return { clients: new Map(), oidc: [] }
  const fail: Fail = (key, why) => {
    throw new errors.Config(`${path}: ${JSON.stringify(key)} ${why}`)
  }

  refuseShared(path)
  const file = readJsonFile(path)
  if (!isObject(file)) throw new errors.Config(`${path} must hold a JSON object`)

  const clients = new Map<string, ClientCredentials>()
  const oidc: OidcCredentials[] = []
  for (const [provider, value] of Object.entries(file)) {
    if (provider === 'oidc') {
      if (!isObject(value))
        fail('oidc', 'must be an object of named providers: {"<name>": {"issuer": ..., "id": ..., "secret": ...}}')
      for (const [name, entry] of Object.entries(value)) oidc.push(readOidc(`oidc.${name}`, name, entry, fail))
      continue
    }
    if (!presetIds.includes(provider))
      fail(provider, `is not a known provider (known: ${quoted([...presetIds, 'oidc'])})`)
    clients.set(provider, readClient(provider, value, fail))
  }
  return { clients, oidc }
}

/**
 * The file holds client secrets: one that other users may read (or write,
 * swapping in their own provider) stops the start with the command that
 * makes it private.
 */
function refuseShared(path: string): void {
  let mode: number
  try {
    mode = statSync(path).mode
  } catch {
    return // reading it says why it cannot be read
  }
  if ((mode & 0o066) === 0) return
  const quoted = /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replaceAll("'", "'\\''")}'`
  throw new errors.Config(
    `${path} holds client secrets that other users may read or write (mode ${(mode & 0o777).toString(8)}): ` +
      `run chmod 600 ${quoted}`,
  )
}

function isObject(value: unknown): value is Entry {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function fields(key: string, value: unknown, allowed: readonly string[], fail: Fail): Entry {
  if (!isObject(value)) fail(key, `must be an object with ${quoted(allowed)}`)
  for (const field of Object.keys(value)) {
    if (!allowed.includes(field)) fail(`${key}.${field}`, `is not a known field (known: ${quoted(allowed)})`)
  }
  return value
}

function secretText(entry: Entry, key: string, field: string, fail: Fail): string {
  const value = entry[field]
  if (typeof value !== 'string' || !VSCHAR.test(value) || value.trim() !== value) {
    fail(`${key}.${field}`, 'must be a non-empty string of printable ASCII characters')
  }
  return value
}

function url(entry: Entry, key: string, field: string, fail: Fail): string {
  const value = entry[field]
  if (typeof value !== 'string') fail(`${key}.${field}`, 'must be a URL string')
  const problem = providerUrlProblem(value)
  if (problem) fail(`${key}.${field}`, problem)
  return value
}

function readClient(key: string, value: unknown, fail: Fail): ClientCredentials {
  const entry = fields(key, value, ['id', 'secret', 'base_url'], fail)
  let baseUrl: string | null = null
  if (entry.base_url !== undefined) {
    baseUrl = url(entry, key, 'base_url', fail)
    if (new URL(baseUrl).search) fail(`${key}.base_url`, 'must not carry a query')
  }
  return { id: secretText(entry, key, 'id', fail), secret: secretText(entry, key, 'secret', fail), baseUrl }
}

function readOidc(key: string, name: string, value: unknown, fail: Fail): OidcCredentials {
  if (!OIDC_NAME.test(name))
    fail(key, 'must be named with 1 to 32 lower-case letters, digits, _ or - (it becomes /login/oidc/<name>)')
  const entry = fields(key, value, ['issuer', 'id', 'secret', 'scope', 'label'], fail)
  const issuer = url(entry, key, 'issuer', fail)
  if (new URL(issuer).search) fail(`${key}.issuer`, 'must not carry a query')

  let scope = DEFAULT_OIDC_SCOPE
  if (entry.scope !== undefined) {
    scope = typeof entry.scope === 'string' ? entry.scope.split(' ').filter(Boolean) : []
    if (scope.length === 0 || !scope.every(token => SCOPE_TOKEN.test(token))) {
      fail(`${key}.scope`, 'must be a space-separated list of scopes, such as "openid profile email"')
    }
    if (!scope.includes('openid')) fail(`${key}.scope`, 'must include "openid"')
  }

  let label = name
  if (entry.label !== undefined) {
    if (typeof entry.label !== 'string' || !entry.label.trim() || entry.label.length > 64)
      fail(`${key}.label`, 'must be a button text of 1 to 64 characters')
    label = entry.label.trim()
  }
  return {
    name,
    label,
    issuer,
    id: secretText(entry, key, 'id', fail),
    secret: secretText(entry, key, 'secret', fail),
    scope,
  }
}
