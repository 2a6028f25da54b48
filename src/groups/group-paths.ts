import { errors } from '../errors.js'

/**
 * Group paths: names joined by `/` (`chat/alice/images`). Names are kept to
 * characters that need no escaping in URLs and cannot be confused with the
 * expression operators (`! & | ( )`), so that a path reads the same in a
 * query string, a route and an expression. User ids (UUIDs) and provider
 * ids such as `127.0.0.1` or `user@example.com` fit.
 */
export const MAX_NAME_LENGTH = 64
export const MAX_DEPTH = 32
export const MAX_PATH_LENGTH = 512

/** One character of a name. Exported for the expression tokenizer. */
export const NAME_CHARACTER = /[A-Za-z0-9._~@:+-]/
const NAME = /^[A-Za-z0-9._~@:+-]+$/

/** What is wrong with a path and at which character offset, or undefined when it is fine. */
export interface PathProblem {
  offset: number
  reason: string
}

export function findPathProblem(path: string): PathProblem | undefined {
  if (path.length === 0) return { offset: 0, reason: 'a group path must not be empty' }
  if (path.length > MAX_PATH_LENGTH)
    return { offset: MAX_PATH_LENGTH, reason: `a group path may be at most ${MAX_PATH_LENGTH} characters long` }
  const names = path.split('/')
  if (names.length > MAX_DEPTH) return { offset: 0, reason: `a group path may be at most ${MAX_DEPTH} names deep` }
  let offset = 0
  for (const name of names) {
    if (name.length === 0)
      return { offset, reason: 'a group name must not be empty (no leading, trailing or double /)' }
    if (name.length > MAX_NAME_LENGTH)
      return { offset, reason: `a group name may be at most ${MAX_NAME_LENGTH} characters long` }
    if (!NAME.test(name)) {
      const bad = [...name].findIndex(c => !NAME_CHARACTER.test(c))
      return {
        offset: offset + bad,
        reason: `a group name may only hold letters, digits and . _ ~ @ : + - (found ${JSON.stringify(name[bad])})`,
      }
    }
    // `.` and `..` would be rewritten by URL normalisation before reaching a route.
    if (name === '.' || name === '..') return { offset, reason: 'a group name must not be . or ..' }
    offset += name.length + 1
  }
  return undefined
}

/** The path itself when valid; `LOGIN_ERR_BAD_REQUEST` naming the problem otherwise. */
export function checkPath(path: unknown, field = 'group path'): string {
  if (typeof path !== 'string') throw new errors.BadRequest(`${field} must be a string`)
  const problem = findPathProblem(path)
  if (problem) throw new errors.BadRequest(`${field} ${JSON.stringify(path.slice(0, 80))}: ${problem.reason}`)
  return path
}

/** The namespace (root group) a group path lies in. */
export function namespaceOf(path: string): string {
  return path.slice(0, (path + '/').indexOf('/'))
}

/** The paths of a group and all its ancestors, root first: `a/b/c` → `a`, `a/b`, `a/b/c`. */
export function ancestorPaths(path: string): string[] {
  const names = path.split('/')
  return names.map((_, i) => names.slice(0, i + 1).join('/'))
}

/** Whether `path` is `ancestor` itself or lies below it. */
export function isWithin(path: string, ancestor: string): boolean {
  return path === ancestor || path.startsWith(ancestor + '/')
}

/**
 * The half-open range of strings holding exactly the strict descendants of
 * `path`: every `path/…` sorts between `path/` and `path0` because `0`
 * follows `/` in ASCII. This lets an ordinary index on `path` answer
 * "everything below", where LIKE would need escaping and a scan.
 */
export function descendantRange(path: string): [string, string] {
  return [path + '/', path + '0']
}
