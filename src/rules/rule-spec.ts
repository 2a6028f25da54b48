import { errors } from '../errors.js'
import { parseExpression } from '../groups/expressions.js'
import type { RuleSpec } from '../storage/access-rules.js'

/**
 * A rule as an operator writes it, in a `rule import` file or through
 * `rule add`'s options (docs/forward-auth.md, "Access rules"): exactly one
 * of `allow` (a group expression), `public: true` or `deny: true`.
 */
export interface RuleInput {
  host?: unknown
  path?: unknown
  methods?: unknown
  allow?: unknown
  public?: unknown
  deny?: unknown
  require_passkey?: unknown
}

const FIELDS = new Set(['host', 'path', 'methods', 'allow', 'public', 'deny', 'require_passkey'])

const MAX_HOST = 253
const MAX_PATH = 1024
const LABEL = '[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?'
const HOST_NAME = new RegExp(`^${LABEL}(\\.${LABEL})*$`)
const METHOD = /^[A-Z][A-Z-]{0,31}$/
// A path pattern: printable ASCII but space, `?` and `#` (the matcher never sees a query or a fragment).
const PATH_PATTERN = /^\/[!"$->@-~]*$/

/** Refuses a rule, naming the field (`rules[3].host: …` in a file, `host: …` on the command line). */
function bad(field: string, why: string): never {
  throw new errors.BadRule(`${field}: ${why}`)
}

function checkHost(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') bad(field, 'a host pattern is required')
  const host = value.trim().toLowerCase()
  if (host === '*') return host
  const name = host.startsWith('*.') ? host.slice(2) : host
  if (host.length > MAX_HOST || !HOST_NAME.test(name)) {
    bad(
      field,
      `${JSON.stringify(value)} is not app.example.org, *.example.org or * (ports are not part of a host pattern)`,
    )
  }
  return host
}

/** A path pattern without the trailing `/` of a prefix (`/app/` is `/app`); `/` and none both mean every path. */
function checkPath(value: unknown, field: string): string | null {
  if (value === undefined || value === null) return null
  if (typeof value !== 'string' || !PATH_PATTERN.test(value) || value.length > MAX_PATH) {
    bad(field, `${JSON.stringify(value)} is not a path pattern: it starts with / and holds no spaces, ? or #`)
  }
  if (/\/\.{1,2}(\/|$)|\/\//.test(value)) bad(field, `${JSON.stringify(value)} holds an empty, . or .. segment`)
  if (/\*{3}/.test(value)) bad(field, `${JSON.stringify(value)}: * matches within a segment, ** across them; no more`)
  if (value === '/' || value === '/**') return null
  return value.includes('*') || !value.endsWith('/') ? value : value.slice(0, -1)
}

function checkMethods(value: unknown, field: string): string[] | null {
  if (value === undefined || value === null) return null
  const list = typeof value === 'string' ? value.split(',') : value
  if (!Array.isArray(list) || list.length === 0) bad(field, 'a list of methods such as GET,HEAD')
  const methods = new Set<string>()
  for (const item of list) {
    const method = typeof item === 'string' ? item.trim().toUpperCase() : ''
    if (!METHOD.test(method)) bad(field, `${JSON.stringify(item)} is not a method name such as GET`)
    methods.add(method)
  }
  return [...methods]
}

function flag(value: unknown, field: string): boolean {
  if (value === undefined || value === false) return false
  if (value === true) return true
  return bad(field, 'true or false')
}

/**
 * Checks one rule, naming the faulty field after `at` (`rules[3].` in a
 * file, nothing on the command line); an `allow` expression is parsed as
 * `/login/check?group=` would parse it. Throws `LOGIN_ERR_BAD_RULE`.
 */
export function checkRule(input: unknown, at = ''): RuleSpec {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    bad(at.replace(/\.$/, '') || 'rule', 'an object with a host and one of allow, public or deny')
  for (const key of Object.keys(input)) if (!FIELDS.has(key)) bad(`${at}${key}`, 'is not a field of a rule')
  const rule = input as RuleInput
  const host = checkHost(rule.host, `${at}host`)
  const path = checkPath(rule.path, `${at}path`)
  const methods = checkMethods(rule.methods, `${at}methods`)
  const isPublic = flag(rule.public, `${at}public`)
  const isDeny = flag(rule.deny, `${at}deny`)
  const outcomes = (rule.allow !== undefined ? 1 : 0) + (isPublic ? 1 : 0) + (isDeny ? 1 : 0)
  if (outcomes !== 1) bad(`${at}allow`, 'a rule has exactly one of allow (a group expression), public or deny')
  const requirePasskey = flag(rule.require_passkey, `${at}require_passkey`)
  let expression: string | null = null
  if (rule.allow !== undefined) {
    if (typeof rule.allow !== 'string') bad(`${at}allow`, 'a group expression such as `staff | chat/admins`')
    expression = rule.allow.trim()
    try {
      parseExpression(expression)
    } catch (error) {
      bad(`${at}allow`, (error as Error).message)
    }
  } else if (requirePasskey) {
    bad(`${at}require_passkey`, 'only an allow rule asks who the visitor is')
  }
  return { host, path, methods, outcome: isPublic ? 'public' : isDeny ? 'deny' : 'allow', expression, requirePasskey }
}

/** A rule as a file holds it (`rule export`), fields in the order an operator reads them. */
export function ruleInput(rule: RuleSpec): RuleInput {
  const input: RuleInput = { host: rule.host }
  if (rule.path !== null) input.path = rule.path
  if (rule.methods !== null) input.methods = rule.methods
  if (rule.outcome === 'allow') input.allow = rule.expression
  else input[rule.outcome] = true
  if (rule.requirePasskey) input.require_passkey = true
  return input
}

/** One line saying what a rule matches and answers: `app.example.org /admin GET,HEAD allow staff`. */
export function describeRule(rule: RuleSpec): string {
  const answer = rule.outcome === 'allow' ? `allow ${rule.expression}` : rule.outcome
  return [
    rule.host,
    rule.path ?? '/',
    rule.methods?.join(',') ?? 'any method',
    answer,
    ...(rule.requirePasskey ? ['with a passkey'] : []),
  ].join('  ')
}

/** The same rule, whatever its id or place: for telling which rules an import keeps. */
export function ruleKey(rule: RuleSpec): string {
  return JSON.stringify([rule.host, rule.path, rule.methods, rule.outcome, rule.expression, rule.requirePasskey])
}
