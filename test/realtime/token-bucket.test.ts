import t from 'tap'
import { TokenBucket } from '../../src/realtime/token-bucket.js'

t.test('a token bucket allows a burst, then its rate, and says how long to wait', async t => {
  let now = 0
  const bucket = new TokenBucket(10, 3, () => now)
  t.same([bucket.take(), bucket.take(), bucket.take(), bucket.take()], [true, true, true, false], 'a burst of 3')
  t.equal(bucket.waitMs, 100, 'the next token comes in 1/10 s')
  now += 50
  t.equal(bucket.take(), false, 'half a token is not one')
  now += 50
  t.equal(bucket.take(), true, 'a token per 100 ms')
  now += 10_000
  t.same(
    [bucket.take(), bucket.take(), bucket.take(), bucket.take()],
    [true, true, true, false],
    'never more than the burst',
  )
})
