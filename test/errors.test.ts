// The table of docs/errors.md and the shared error vocabulary say the same thing.
import t from 'tap'
import { LOGIN_ERROR_CODES, LOGIN_ERROR_STATUS } from 'modular-login-client/errors'
import { errors } from '../src/errors.js'
import { page, pages } from './docs/markdown.js'

/** The rows of the table on docs/errors.md: code → status. */
function documented(): Map<string, number> {
  const rows = new Map<string, number>()
  for (const [, code, status] of page('docs/errors.md').text.matchAll(/^\| `(LOGIN_ERR_[A-Z_]+)` \| (\d{3}) \|/gm))
    rows.set(code!, Number(status))
  return rows
}

t.test('every code is in the table of docs/errors.md with its status, and the table lists no other', async t => {
  const table = documented()
  t.same(
    LOGIN_ERROR_CODES.filter(code => !table.has(code)),
    [],
    'codes missing from docs/errors.md',
  )
  t.same(
    [...table.keys()].filter(code => !(code in LOGIN_ERROR_STATUS)),
    [],
    'codes in docs/errors.md that do not exist',
  )
  for (const [code, status] of table) t.equal(status, LOGIN_ERROR_STATUS[code as keyof typeof LOGIN_ERROR_STATUS], code)
})

t.test('every code the documentation mentions anywhere exists', async t => {
  for (const { path, text } of pages()) {
    const mentioned = new Set(text.match(/LOGIN_ERR_[A-Z_]*[A-Z]/g))
    t.same(
      [...mentioned].filter(code => !(code in LOGIN_ERROR_STATUS)),
      [],
      path,
    )
  }
})

t.test("the server's errors answer their code's status", async t => {
  for (const [name, ErrorClass] of Object.entries(errors)) {
    const error = new ErrorClass('x')
    t.equal(error.statusCode, LOGIN_ERROR_STATUS[error.code], `${name}: ${error.code}`)
  }
})
