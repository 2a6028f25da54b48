import t from 'tap'
import { TokenMemo } from '../../client/src/token-memo.js'

const ending = 'S'.repeat(86)
const token = `header.payload-of-alice.${ending}`

t.test('a token is known only as itself, not by its ending', async t => {
  const memo = new TokenMemo<string>(10, () => false)
  memo.set(token, 'alice')
  t.equal(memo.get(token), 'alice')
  t.equal(memo.get(`${token.slice(0, -1)}`), undefined, 'a prefix')
  t.equal(memo.get(`header.payload-of-mallory.${ending}`), undefined, 'another payload with the same signature')
  t.equal(memo.get(`x${token}`), undefined, 'a longer token ending the same')
  memo.set(`header.payload-of-bob.${ending}`, 'bob')
  t.equal(memo.get(`header.payload-of-bob.${ending}`), 'bob', 'one ending like a known token takes its place')
  t.equal(memo.get(token), undefined)
})

t.test('bounded, and stale entries go first', async t => {
  const memo = new TokenMemo<number>(4, value => value < 0)
  memo.set('a.b.stale-one', -1)
  for (let i = 0; i < 3; i++) memo.set(`a.b.live-${i}`, i)
  memo.set('a.b.newest', 9)
  t.equal(memo.get('a.b.stale-one'), undefined, 'the stale entry made room')
  t.equal(memo.get('a.b.live-0'), 0, 'the live ones stayed')
  t.equal(memo.get('a.b.newest'), 9)
  for (let i = 0; i < 20; i++) memo.set(`a.b.more-${i}`, i)
  t.ok(memo.size <= 4, `never more than its limit (${memo.size})`)
  memo.clear()
  t.equal(memo.size, 0)
})
