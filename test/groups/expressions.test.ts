import t from 'tap'
import type { GroupExpression } from 'modular-login-client/protocol'
import { evaluate, parseExpression, pathsOf } from '../../src/groups/expressions.js'

t.test('text form: precedence, parentheses, not', async t => {
  const cases: [string, GroupExpression][] = [
    ['chat', 'chat'],
    ['  chat/alice  ', 'chat/alice'],
    ['a & b', { and: ['a', 'b'] }],
    ['a | b', { or: ['a', 'b'] }],
    ['a&b&c', { and: ['a', 'b', 'c'] }],
    ['a | b & c', { or: ['a', { and: ['b', 'c'] }] }],
    ['a & b | c', { or: [{ and: ['a', 'b'] }, 'c'] }],
    ['(a | b) & c', { and: [{ or: ['a', 'b'] }, 'c'] }],
    ['!a', { not: 'a' }],
    ['!a & b', { and: [{ not: 'a' }, 'b'] }],
    ['!(a & b)', { not: { and: ['a', 'b'] } }],
    ['!!a', { not: { not: 'a' } }],
    ['!a | !b & c', { or: [{ not: 'a' }, { and: [{ not: 'b' }, 'c'] }] }],
    ['((a))', 'a'],
    ['!chat/dm/blocked & (chat/dm | admin)', { and: [{ not: 'chat/dm/blocked' }, { or: ['chat/dm', 'admin'] }] }],
    [
      'chat/3f1c2a9e-7d4b-4c1e-9a2b-1234567890ab/img.png/read_access',
      'chat/3f1c2a9e-7d4b-4c1e-9a2b-1234567890ab/img.png/read_access',
    ],
  ]
  for (const [text, expected] of cases) t.same(parseExpression(text), expected, text)
})

t.test('text form: bad syntax names the position', async t => {
  const cases: [string, number, string][] = [
    // [text, position, part of the message]
    ['', 0, 'empty'],
    ['   ', 3, 'empty'],
    ['a &', 3, 'expected a group path'],
    ['& a', 0, 'expected a group path'],
    ['a b', 2, 'expected & or |'],
    ['(a | b', 6, 'expected ) to close the ( at position 0'],
    ['a)', 1, 'expected & or |'],
    ['()', 1, 'expected a group path'],
    ['a && b', 3, 'expected a group path'],
    ['chat/a b', 7, 'expected & or |'],
    ['chat/ä', 5, 'unexpected character'],
    ['chat//x', 5, 'must not be empty'],
    ['a & chat/', 9, 'must not be empty'],
    ['a # b', 2, 'unexpected character "#"'],
    ['!', 1, 'expected a group path'],
  ]
  for (const [text, position, message] of cases) {
    t.throws(
      () => parseExpression(text),
      {
        code: 'LOGIN_ERR_BAD_EXPRESSION',
        message: new RegExp(`at position ${position}: .*${message.replace(/[()|]/g, '\\$&')}`),
      },
      JSON.stringify(text),
    )
  }
  const tooBig: [string, RegExp][] = [
    ['!'.repeat(100) + 'a', /nested more than 64/],
    ['('.repeat(100) + 'a' + ')'.repeat(100), /nested more than 64/],
    ['a|'.repeat(3000) + 'a', /longer than 4096/],
  ]
  for (const [text, message] of tooBig)
    t.throws(() => parseExpression(text), { code: 'LOGIN_ERR_BAD_EXPRESSION', message })
})

t.test('JSON form', async t => {
  const good: [unknown, GroupExpression][] = [
    ['"chat/alice"', 'chat/alice'],
    ['{"and": ["a", {"not": "b"}]}', { and: ['a', { not: 'b' }] }],
    [{ or: ['a', { and: ['b', 'c'] }] }, { or: ['a', { and: ['b', 'c'] }] }],
    ['chat', 'chat'],
  ]
  for (const [input, expected] of good) t.same(parseExpression(input), expected, JSON.stringify(input))
  const bad: [unknown, RegExp][] = [
    ['{"and": []}', /at \$\.and: expected a non-empty array/],
    ['{"and": "a"}', /at \$\.and: expected a non-empty array/],
    ['{"xor": ["a"]}', /exactly one key/],
    ['{"and": ["a"], "or": ["b"]}', /exactly one key/],
    ['{"or": ["a", 3]}', /at \$\.or\[1\]: expected a group path/],
    ['{"not": "a b"}', /at \$\.not, position 1/],
    ['{"and": [', /not valid JSON/],
    [null, /at \$: expected a group path/],
    [['a'], /at \$: expected a group path/],
  ]
  for (const [input, message] of bad) {
    t.throws(() => parseExpression(input), { code: 'LOGIN_ERR_BAD_EXPRESSION', message }, JSON.stringify(input))
  }
})

t.test('evaluation short-circuits and follows the operators', async t => {
  const held = new Set(['a', 'c'])
  const asked: string[] = []
  const holds = (path: string) => {
    asked.push(path)
    return held.has(path)
  }
  const cases: [string, boolean][] = [
    ['a', true],
    ['b', false],
    ['!b', true],
    ['a & b', false],
    ['a & c', true],
    ['a | b', true],
    ['b | c', true],
    ['b | d', false],
    ['!(a & b)', true],
    ['!a | b & c', false],
  ]
  for (const [text, expected] of cases) t.equal(evaluate(parseExpression(text), holds), expected, text)
  asked.length = 0
  evaluate(parseExpression('a | b'), holds)
  t.same(asked, ['a'], 'or stops at the first held operand')
  asked.length = 0
  evaluate(parseExpression('b & a'), holds)
  t.same(asked, ['b'], 'and stops at the first missing operand')
})

t.test('the paths an expression names, each once, in order', async t => {
  const cases: [string, string[]][] = [
    ['a', ['a']],
    ['!a/b & (c | a/b) | !!d', ['a/b', 'c', 'd']],
    ['(a | b) & !(b & c/d/e)', ['a', 'b', 'c/d/e']],
  ]
  for (const [text, paths] of cases) t.same(pathsOf(parseExpression(text)), paths, text)
  const wide = Array.from({ length: 50_000 }, (_, i) => `p${i % 40_000}`)
  t.equal(pathsOf({ or: wide }).length, 40_000, 'a wide expression, without repeats')
})
