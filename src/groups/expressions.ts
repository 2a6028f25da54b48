import type { GroupExpression } from 'modular-login-client/protocol'
import { errors } from '../errors.js'
import { findPathProblem, NAME_CHARACTER } from './group-paths.js'

// A parsed expression is in the JSON form of the protocol's `GroupExpression` (docs/access-groups.md, "The chat example"):
// a path, or one of `{and: [...]}`, `{or: [...]}`, `{not: e}`.

/** Longer input is refused before parsing: expressions come from query strings. */
export const MAX_EXPRESSION_LENGTH = 4096
/** Nesting limit, so that hostile input cannot exhaust the stack. */
export const MAX_NESTING = 64

function bad(message: string): never {
  throw new errors.BadExpression(message)
}

/**
 * Parses an expression from a query string, config value or message: text
 * form (`!chat/dm/blocked & (chat/dm | admin)`), a JSON text (starting with
 * `{` or `"`), or an already-decoded JSON value. Throws
 * `LOGIN_ERR_BAD_EXPRESSION` naming the position of the problem.
 */
export function parseExpression(input: unknown): GroupExpression {
  if (typeof input !== 'string') return checkJson(input)
  if (input.length > MAX_EXPRESSION_LENGTH) bad(`longer than ${MAX_EXPRESSION_LENGTH} characters`)
  const first = input.trimStart()[0]
  if (first === '{' || first === '"') {
    let value: unknown
    try {
      value = JSON.parse(input)
    } catch (error) {
      bad(`not valid JSON: ${(error as Error).message}`)
    }
    return checkJson(value)
  }
  return new TextParser(input).parse()
}

// ---- text form: or := and ('|' and)* ; and := unary ('&' unary)* ; unary := '!' unary | '(' or ')' | path

type Token = { kind: '!' | '&' | '|' | '(' | ')' | 'end' } | { kind: 'path'; path: string }

const PATH_CHARACTER = new RegExp(`${NAME_CHARACTER.source}|/`)

class TextParser {
  private position = 0
  private token!: Token
  private tokenStart = 0
  private depth = 0

  constructor(private readonly text: string) {
    this.advance()
  }

  parse(): GroupExpression {
    if (this.kind() === 'end') this.fail('the expression is empty')
    const expression = this.or()
    if (this.kind() !== 'end') this.fail(`expected & or | or the end, found ${this.describe()}`)
    return expression
  }

  private or(): GroupExpression {
    const operands = [this.and()]
    while (this.kind() === '|') {
      this.advance()
      operands.push(this.and())
    }
    return operands.length === 1 ? operands[0]! : { or: operands }
  }

  private and(): GroupExpression {
    const operands = [this.unary()]
    while (this.kind() === '&') {
      this.advance()
      operands.push(this.unary())
    }
    return operands.length === 1 ? operands[0]! : { and: operands }
  }

  private unary(): GroupExpression {
    if (++this.depth > MAX_NESTING) this.fail(`nested more than ${MAX_NESTING} deep`)
    try {
      const token = this.token
      if (token.kind === '!') {
        this.advance()
        return { not: this.unary() }
      }
      if (token.kind === '(') {
        const open = this.tokenStart
        this.advance()
        const inner = this.or()
        if (this.kind() !== ')') this.fail(`expected ) to close the ( at position ${open}, found ${this.describe()}`)
        this.advance()
        return inner
      }
      if (token.kind === 'path') {
        this.advance()
        return token.path
      }
      return this.fail(`expected a group path, ! or (, found ${this.describe()}`)
    } finally {
      this.depth--
    }
  }

  // Read through a method: the token changes under calls, which TypeScript's narrowing of `this.token` ignores.
  private kind(): Token['kind'] {
    return this.token.kind
  }

  private advance(): void {
    const text = this.text
    while (this.position < text.length && /\s/.test(text[this.position]!)) this.position++
    this.tokenStart = this.position
    if (this.position >= text.length) {
      this.token = { kind: 'end' }
      return
    }
    const c = text[this.position]!
    if (c === '!' || c === '&' || c === '|' || c === '(' || c === ')') {
      this.position++
      this.token = { kind: c }
      return
    }
    if (!PATH_CHARACTER.test(c)) this.fail(`unexpected character ${JSON.stringify(c)}`)
    while (this.position < text.length && PATH_CHARACTER.test(text[this.position]!)) this.position++
    const next = text[this.position]
    if (next !== undefined && !/[\s!&|()]/.test(next))
      this.fail(`unexpected character ${JSON.stringify(next)}`, this.position)
    const path = text.slice(this.tokenStart, this.position)
    const problem = findPathProblem(path)
    if (problem) this.fail(problem.reason, this.tokenStart + problem.offset)
    this.token = { kind: 'path', path }
  }

  private describe(): string {
    const token = this.token
    if (token.kind === 'end') return 'the end of the expression'
    return token.kind === 'path' ? `the path ${token.path}` : token.kind
  }

  private fail(reason: string, position = this.tokenStart): never {
    bad(`at position ${position}: ${reason}`)
  }
}

// ---- JSON form

function checkJson(value: unknown, at = '$', depth = 0): GroupExpression {
  if (depth > MAX_NESTING) bad(`at ${at}: nested more than ${MAX_NESTING} deep`)
  if (typeof value === 'string') {
    const problem = findPathProblem(value)
    if (problem) bad(`at ${at}, position ${problem.offset}: ${problem.reason}`)
    return value
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    bad(`at ${at}: expected a group path or an object with one of and, or, not`)
  }
  const keys = Object.keys(value)
  const key = keys[0]
  if (keys.length !== 1 || (key !== 'and' && key !== 'or' && key !== 'not')) {
    bad(`at ${at}: an object must have exactly one key, and, or or not (found ${JSON.stringify(keys)})`)
  }
  const operand = (value as Record<string, unknown>)[key]
  if (key === 'not') return { not: checkJson(operand, `${at}.not`, depth + 1) }
  if (!Array.isArray(operand) || operand.length === 0) bad(`at ${at}.${key}: expected a non-empty array`)
  const operands = operand.map((e, i) => checkJson(e, `${at}.${key}[${i}]`, depth + 1))
  return key === 'and' ? { and: operands } : { or: operands }
}

// ---- evaluation

/** The distinct paths an expression names, in order of appearance. */
export function pathsOf(expression: GroupExpression): string[] {
  const paths = new Set<string>()
  const collect = (e: GroupExpression): void => {
    if (typeof e === 'string') paths.add(e)
    else if ('not' in e) collect(e.not)
    else for (const operand of 'and' in e ? e.and : e.or) collect(operand)
  }
  collect(expression)
  return [...paths]
}

/**
 * Evaluates an expression, asking `holds` about each path it needs
 * (short-circuiting: `a | b` never asks about `b` when `a` is held).
 */
export function evaluate(expression: GroupExpression, holds: (path: string) => boolean): boolean {
  if (typeof expression === 'string') return holds(expression)
  if ('not' in expression) return !evaluate(expression.not, holds)
  if ('and' in expression) return expression.and.every(e => evaluate(e, holds))
  return expression.or.some(e => evaluate(e, holds))
}
