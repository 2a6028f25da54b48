import t from 'tap'
import { randomUUID } from 'node:crypto'
import { ALPHABET, fromShort, invitationIdOf, SHORT_LENGTH, toShort } from '../../src/groups/shortcode.js'

t.test('alphabet has 57 letters without look-alikes', async t => {
  t.equal(ALPHABET.length, 57)
  t.equal(new Set(ALPHABET).size, 57)
  for (const c of '01IOl') t.notOk(ALPHABET.includes(c), `no ${c}`)
})

t.test('round trips, leading zeros included', async t => {
  const fixed = [
    '00000000-0000-0000-0000-000000000000',
    '00000000-0000-0000-0000-000000000001',
    '00000000-0000-4000-8000-000000000000',
    '0000ffff-ffff-4fff-bfff-ffffffffffff',
    'ffffffff-ffff-ffff-ffff-ffffffffffff',
  ]
  for (const uuid of [...fixed, ...Array.from({ length: 200 }, () => randomUUID())]) {
    const short = toShort(uuid)
    t.equal(short.length, SHORT_LENGTH, `${uuid} → 22 letters`)
    t.equal(fromShort(short), uuid)
  }
  t.equal(toShort('00000000-0000-0000-0000-000000000000'), '2'.repeat(22), 'zero pads with the zero letter')
  t.equal(toShort('00000000-0000-0000-0000-000000000001'), '2'.repeat(21) + '3')
  t.equal(
    fromShort(toShort('ABCDEF00-0000-4000-8000-000000000000'.toLowerCase())),
    'abcdef00-0000-4000-8000-000000000000',
  )
})

t.test('refuses what is not a short code', async t => {
  const cases: [string, string][] = [
    ['2'.repeat(21), 'too short'],
    ['2'.repeat(23), 'too long'],
    ['2'.repeat(21) + '0', 'look-alike 0'],
    ['2'.repeat(21) + 'l', 'look-alike l'],
    ['z'.repeat(22), 'larger than any UUID'],
    ['', 'empty'],
  ]
  for (const [text, why] of cases) t.equal(fromShort(text), undefined, why)
  t.equal(invitationIdOf('not-an-id'), undefined)
  const uuid = randomUUID()
  t.equal(invitationIdOf(uuid.toUpperCase()), uuid, 'long ids are accepted in any case')
  t.equal(invitationIdOf(toShort(uuid)), uuid)
})
