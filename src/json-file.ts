import { readFileSync } from 'node:fs'
import { parse, printParseErrorCode, type ParseError } from 'jsonc-parser'
import { errors } from './errors.js'

/**
 * Reads a JSON file of settings or secrets (`credentials.json`,
 * `LOGIN_CONFIG`). When it is not valid JSON, the error names the file,
 * the line and the column and what was expected there, and never quotes
 * the file: V8's own message quotes the text around the mistake, which in
 * a credentials file is a secret (docs/security.md, "Start errors").
 */
export function readJsonFile(path: string, name = path): unknown {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new errors.Config(`${name} could not be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`)
  }
  try {
    return JSON.parse(text)
  } catch {
    throw new errors.Config(`${name} is not valid JSON: ${whereAndWhy(text)}`)
  }
}

/** Where the first mistake in `text` is, as `line L, column C (what)`. */
function whereAndWhy(text: string): string {
  const found: ParseError[] = []
  parse(text, found, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false })
  const first = found[0]
  if (!first) return 'the parser refused it' // no known case: JSON.parse and this parser agree on JSON
  const before = text.slice(0, first.offset)
  const line = before.split('\n').length
  const column = first.offset - before.lastIndexOf('\n')
  // "InvalidSymbol" → "invalid symbol"
  const why = printParseErrorCode(first.error)
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
  return `line ${line}, column ${column} (${why})`
}
