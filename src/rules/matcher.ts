import type { GroupExpression } from 'modular-login-client/protocol'
import { parseExpression, pathsOf } from '../groups/expressions.js'
import type { AccessRule } from '../storage/access-rules.js'
import { decodeBytes } from './request-path.js'

/** A rule ready to answer: its expression parsed once, the groups it names listed once. */
export interface CompiledRule {
  readonly rule: AccessRule
  /** The parsed `allow` expression; null for `public` and `deny`. */
  readonly expression: GroupExpression | null
  /** The group paths the expression names, in order: what `X-Login-Groups` is chosen from. */
  readonly groups: readonly string[]
}

/** One rule where a path index keeps it. */
interface Entry {
  readonly position: number
  readonly methods: ReadonlySet<string> | null
  /** The whole-path test of a glob; null for a prefix, whose place in the index is its test. */
  readonly glob: RegExp | null
  readonly compiled: CompiledRule
}

/**
 * The rules of one host (its own and those of every pattern that covers
 * it), indexed by the literal start of their path pattern: `/app` for the
 * prefix `/app` and for the glob `/app/*.php`, `''` for every path. A
 * request looks up only the prefixes its own path has (`''`, `/a`, `/a/b`
 * for `/a/b`), so a host with thousands of rules costs a few map lookups.
 */
class PathIndex {
  private readonly byPrefix = new Map<string, Entry[]>()
  /** The most `/`s a prefix key holds: deeper parts of a request's path need no lookup. */
  private depth = 0
  private anyPath: Entry[] | undefined

  add(key: string, entry: Entry): void {
    let list = this.byPrefix.get(key)
    if (!list) this.byPrefix.set(key, (list = []))
    list.push(entry)
  }

  /** Sorts each list by position, once every rule is in. */
  seal(): this {
    for (const [key, list] of this.byPrefix) {
      list.sort((a, b) => a.position - b.position)
      let slashes = 0
      for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) === 47) slashes++
      if (slashes > this.depth) this.depth = slashes
    }
    this.anyPath = this.byPrefix.get('')
    return this
  }

  /** The first rule, by position, whose prefix the path has and whose methods and glob fit. */
  match(path: string, method: string): CompiledRule | undefined {
    let best = firstFitting(this.anyPath, path, method, undefined)
    if (this.depth > 0) {
      let slash = path.indexOf('/', 1)
      let depth = 1
      while (slash !== -1 && depth <= this.depth) {
        best = firstFitting(this.byPrefix.get(path.slice(0, slash)), path, method, best)
        slash = path.indexOf('/', slash + 1)
        depth++
      }
      if (depth <= this.depth && path.length > 1 && path.charCodeAt(path.length - 1) !== 47)
        best = firstFitting(this.byPrefix.get(path), path, method, best)
    }
    return best?.compiled
  }
}

/** The first entry of `list` that fits and comes before `best`; else `best`. */
function firstFitting(list: Entry[] | undefined, path: string, method: string, best: Entry | undefined) {
  if (list === undefined) return best
  for (const entry of list) {
    if (best !== undefined && entry.position >= best.position) return best
    if ((entry.methods === null || entry.methods.has(method)) && (entry.glob === null || entry.glob.test(path)))
      return entry
  }
  return best
}

/** `*` within a segment, `**` across segments, everything else literally; the whole path must match. */
function globRegExp(pattern: string): RegExp {
  const source = pattern
    .split('**')
    .map(part =>
      part
        .split('*')
        .map(text => text.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]*'),
    )
    .join('.*')
  return new RegExp(`^${source}$`, 's')
}

/** Where a path pattern goes in a {@link PathIndex}, and the glob it must also pass. */
function placeOf(path: string | null): { key: string; glob: RegExp | null } {
  if (path === null) return { key: '', glob: null }
  const pattern = decodeBytes(path)
  const star = pattern.indexOf('*')
  if (star === -1) return { key: pattern, glob: null }
  return { key: pattern.slice(0, pattern.lastIndexOf('/', star)), glob: globRegExp(pattern) }
}

/**
 * The access rules compiled for answering (docs/forward-auth.md, "Access
 * rules"): a map of exact hosts, then one of wildcard suffixes tried from
 * the longest, then the rules for every host; each leads to the path index
 * of all the rules that can match that host. The first rule in list order
 * that matches wins; `match` answers undefined when none does (the site's
 * default applies). Built once per change of the rules, never scanned per
 * request.
 */
export class RuleMatcher {
  private readonly exact = new Map<string, PathIndex>()
  private readonly wildcard = new Map<string, PathIndex>()
  private readonly everyHost: PathIndex | undefined
  /** The compiled rules in list order. */
  readonly rules: readonly CompiledRule[]

  constructor(rules: readonly AccessRule[]) {
    const entries = rules.map(rule => {
      const expression = rule.expression === null ? null : parseExpression(rule.expression)
      const compiled: CompiledRule = { rule, expression, groups: expression === null ? [] : pathsOf(expression) }
      const { key, glob } = placeOf(rule.path)
      return { key, entry: { position: rule.position, methods: rule.methods && new Set(rule.methods), glob, compiled } }
    })
    this.rules = entries.map(({ entry }) => entry.compiled)
    const byHost = new Map<string, typeof entries>()
    for (const item of entries) {
      const host = item.entry.compiled.rule.host
      const list = byHost.get(host)
      if (list) list.push(item)
      else byHost.set(host, [item])
    }
    const index = (patterns: string[]) => {
      const paths = new PathIndex()
      for (const pattern of patterns) for (const { key, entry } of byHost.get(pattern) ?? []) paths.add(key, entry)
      return paths.seal()
    }
    // The patterns that cover a host or a wildcard's suffix: its own, the wildcards of each shorter suffix, then `*`.
    const covering = (name: string, own: string[]) => {
      const patterns = [...own]
      for (let dot = name.indexOf('.'); dot !== -1; dot = name.indexOf('.', dot + 1)) {
        const wildcard = `*.${name.slice(dot + 1)}`
        if (byHost.has(wildcard)) patterns.push(wildcard)
      }
      if (byHost.has('*')) patterns.push('*')
      return patterns
    }
    for (const host of byHost.keys()) {
      if (host === '*') continue
      if (host.startsWith('*.')) {
        const suffix = host.slice(2)
        this.wildcard.set(suffix, index(covering(suffix, [host])))
      } else this.exact.set(host, index(covering(host, [host])))
    }
    this.everyHost = byHost.has('*') ? index(['*']) : undefined
  }

  /**
   * The first rule matching a request, or undefined. `host` as
   * `requestHost` gives it, `path` as `requestPath` gives it, `method` in
   * upper case.
   */
  match(host: string, method: string, path: string): CompiledRule | undefined {
    let paths = this.exact.get(host)
    if (paths === undefined && this.wildcard.size > 0) {
      for (let dot = host.indexOf('.'); dot !== -1 && paths === undefined; dot = host.indexOf('.', dot + 1))
        paths = this.wildcard.get(host.slice(dot + 1))
    }
    return (paths ?? this.everyHost)?.match(path, method)
  }
}
