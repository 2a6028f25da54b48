// The access rules' repository answers the same on every storage engine: order, shifts, removal and the audit log.
import t from 'tap'
import { AccessRuleStore, type RuleSpec } from '../../src/storage/access-rules.js'
import { storageEngines } from '../helpers/engines.js'

const NOW = 1_800_000_000
const spec = (host: string, extra: Partial<RuleSpec> = {}): RuleSpec => ({
  host,
  path: null,
  methods: null,
  outcome: 'public',
  expression: null,
  requirePasskey: false,
  ...extra,
})

const { engines, skipped } = await storageEngines(t)
if (skipped) t.comment(`PostgreSQL left out: ${skipped}`)
for (const engine of engines) {
  t.test(engine.engine, async t => {
    const db = await engine.open(t)
    const store = new AccessRuleStore(db)
    t.same(await store.all(), [])
    const a = await store.insert(
      spec('a.example.org', {
        path: '/x/*.php',
        methods: ['GET', 'HEAD'],
        outcome: 'allow',
        expression: 'staff | ops',
        requirePasskey: true,
      }),
      1,
      NOW,
    )
    t.same(a, {
      id: a.id,
      position: 1,
      host: 'a.example.org',
      path: '/x/*.php',
      methods: ['GET', 'HEAD'],
      outcome: 'allow',
      expression: 'staff | ops',
      requirePasskey: true,
      created: NOW,
    })
    t.equal(typeof a.id, 'number')
    const b = await store.insert(spec('b.example.org', { outcome: 'deny' }), 2, NOW)
    t.ok(b.id > a.id, 'ids grow')
    await store.shift(1, 2, 1)
    const c = await store.insert(spec('*'), 1, NOW + 1)
    t.same(
      (await store.all()).map(r => [r.position, r.host]),
      [
        [1, '*'],
        [2, 'a.example.org'],
        [3, 'b.example.org'],
      ],
    )
    t.equal(await store.count(), 3)
    await store.setPosition(c.id, 4)
    t.same((await store.all()).at(-1)!.id, c.id)
    t.same(await store.get(b.id), { ...b, position: 3 })
    t.equal(await store.remove(b.id), true)
    t.equal(await store.remove(b.id), false)
    t.equal(await store.get(b.id), undefined)
    const d = await store.insert(spec('d.example.org'), 5, NOW)
    t.ok(d.id > c.id, 'an id is never reused')

    await store.logEvent({
      ruleId: a.id,
      action: 'added',
      actor: 'cli (user root)',
      source: null,
      before: null,
      after: a,
      created: NOW,
    })
    await store.logEvent({
      ruleId: a.id,
      action: 'moved',
      actor: 'cli (user root)',
      source: 'rules.yaml',
      before: a,
      after: { ...a, position: 2 },
      created: NOW + 1,
    })
    const events = await store.events(Number.MAX_SAFE_INTEGER, 10)
    t.match(events, [
      { ruleId: a.id, action: 'moved', source: 'rules.yaml', before: a, after: { position: 2 }, created: NOW + 1 },
      { ruleId: a.id, action: 'added', actor: 'cli (user root)', source: null, before: null, after: a },
    ])
    t.same(await store.events(events[0]!.id, 10), [events[1]], 'paged by id')
  })
}
