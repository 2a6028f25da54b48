import t from 'tap'
import { ancestorPaths, checkPath, descendantRange, findPathProblem, isWithin } from '../../src/groups/group-paths.js'

t.test('path validation', async t => {
  const cases: [string, string, number | null][] = [
    // [path, why, offset of the problem (null = valid)]
    ['chat', 'one name', null],
    ['chat/alice/images', 'nested', null],
    ['test_group', 'underscore', null],
    ['chat/3f1c2a9e-7d4b-4c1e-9a2b-1234567890ab', 'a user id as a name', null],
    ['users/127.0.0.1', 'a provider id with dots', null],
    ['mail/user@example.com', 'an address', null],
    ['a:b+c~d-e', 'other allowed punctuation', null],
    ['', 'empty path', 0],
    ['/chat', 'leading slash', 0],
    ['chat/', 'trailing slash', 5],
    ['chat//alice', 'double slash', 5],
    ['chat/al ice', 'space', 7],
    ['chat/a!b', 'expression operator', 6],
    ['chat/a&b', 'and operator', 6],
    ['chat/(x)', 'parenthesis', 5],
    ['chat/ä', 'non-ASCII', 5],
    ['chat/..', 'dot-dot', 5],
    ['./x', 'dot', 0],
    ['chat/' + 'x'.repeat(65), 'name too long', 5],
    [Array(33).fill('a').join('/'), 'too deep', 0],
  ]
  for (const [path, why, offset] of cases) {
    const problem = findPathProblem(path)
    if (offset === null) t.equal(problem, undefined, `${why}: ${path} is valid`)
    else t.equal(problem?.offset, offset, `${why}: problem at ${offset}`)
  }
  t.throws(() => checkPath('chat/a b'), { code: 'LOGIN_ERR_BAD_REQUEST' })
  t.throws(() => checkPath(42), { code: 'LOGIN_ERR_BAD_REQUEST' })
  t.equal(checkPath('chat/alice'), 'chat/alice')
})

t.test('ancestry by path prefix', async t => {
  t.same(ancestorPaths('chat'), ['chat'])
  t.same(ancestorPaths('chat/alice/images'), ['chat', 'chat/alice', 'chat/alice/images'])
  const within: [string, string, boolean][] = [
    ['chat', 'chat', true],
    ['chat/alice', 'chat', true],
    ['chat/alice/images', 'chat', true],
    ['chatter', 'chat', false],
    ['chat', 'chat/alice', false],
    ['chat.x/alice', 'chat', false],
  ]
  for (const [path, ancestor, expected] of within)
    t.equal(isWithin(path, ancestor), expected, `${path} within ${ancestor}`)
  const [from, to] = descendantRange('chat')
  for (const [path, inside] of [
    ['chat/a', true],
    ['chat/~~~', true],
    ['chat', false],
    ['chat0', false],
    ['chat.b', false],
    ['chatter', false],
    ['chat-x/y', false],
  ] as const) {
    t.equal(path >= from && path < to, inside, `${path} ${inside ? 'is' : 'is not'} below chat`)
  }
})
