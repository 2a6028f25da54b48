// The README's "Errors" table and the shared error vocabulary say the same thing.
import t from 'tap'
import { LOGIN_ERROR_CODES, LOGIN_ERROR_STATUS } from 'modular-login-client/errors'
import { readFileSync } from 'node:fs'
import { errors } from '../src/errors.js'
import { repoPath } from './helpers/repo.js'

const readme = readFileSync(repoPath('README.md'), 'utf8')

/** The rows of the table under `## Errors`: code → status. */
function documented(): Map<string, number> {
  const section = /^## Errors\n([\s\S]*?)(?=^## )/m.exec(readme)
  if (!section) throw new Error('README.md has no "## Errors" section')
  const rows = new Map<string, number>()
  for (const [, code, status] of section[1]!.matchAll(/^\| `(LOGIN_ERR_[A-Z_]+)` \| (\d{3}) \|/gm))
    rows.set(code!, Number(status))
  return rows
}

t.test('every code is in the README table with its status, and the table lists no other', async t => {
  const table = documented()
  t.same(
    LOGIN_ERROR_CODES.filter(code => !table.has(code)),
    [],
    'codes missing from the README',
  )
  t.same(
    [...table.keys()].filter(code => !(code in LOGIN_ERROR_STATUS)),
    [],
    'codes in the README that do not exist',
  )
  for (const [code, status] of table) t.equal(status, LOGIN_ERROR_STATUS[code as keyof typeof LOGIN_ERROR_STATUS], code)
})

t.test('every code the README mentions anywhere exists', async t => {
  const mentioned = new Set(readme.match(/LOGIN_ERR_[A-Z_]*[A-Z]/g))
  t.same(
    [...mentioned].filter(code => !(code in LOGIN_ERROR_STATUS)),
    [],
  )
})

t.test("the server's errors answer their code's status", async t => {
  for (const [name, ErrorClass] of Object.entries(errors)) {
    const error = new ErrorClass('x')
    t.equal(error.statusCode, LOGIN_ERROR_STATUS[error.code], `${name}: ${error.code}`)
  }
})
