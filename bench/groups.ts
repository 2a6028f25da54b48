/**
 * Membership check latency: `node --import ./bench/ts-register.mjs bench/groups.ts`.
 *
 * A database of 100,000 memberships (2,000 users × 50, over a forest of
 * about 11,000 groups up to 3 deep); the checked user holds 50 of them.
 * Measures `isMember(user, path)` (the check behind `/login/check?group=`)
 * against a single primary-key SELECT (`UserStore.get`) in the same run,
 * alternating in rounds so that a busy machine slows both alike; and, for
 * information, a three-path expression (`holds`), which costs the same one
 * statement.
 *
 * Targets: check throughput ≥ 0.3 of the primary-key SELECT's, and check
 * p99 < 1 ms. Exits 1 when one is missed.
 *
 * Options: --rounds <n> (5), --ops <n> per round and kind (50000).
 */
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { validateNext } from '../src/redirects.js'
import { systemClock } from '../src/clock.js'
import { createGroupServices } from '../src/groups/services.js'
import { GroupStore, type Group } from '../src/storage/groups.js'
import { MembershipStore } from '../src/storage/memberships.js'
import { RevocationStore } from '../src/storage/revocations.js'
import { SqliteDatabase } from '../src/storage/sqlite.js'
import { UserStore } from '../src/storage/users.js'
import { median } from './support.js'

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '5' }, ops: { type: 'string', default: '50000' } },
})
const rounds = Number(values.rounds)
const ops = Number(values.ops)

const USERS = 2000
const PER_USER = 50
const NAMESPACES = 10
const ROOMS = 100
const SUBS = 10

const dir = mkdtempSync(join(tmpdir(), 'bench-groups-'))
const db = new SqliteDatabase(join(dir, 'login.sqlite'))
const now = systemClock.now()
const users = new UserStore(db)
const groups = createGroupServices({
  db,
  clock: systemClock,
  users,
  revocations: new RevocationStore(db),
  checkRedirect: raw => validateNext(raw, { site: 'localhost', allowedHosts: [] }),
})

// ---- build the data set (one transaction: this is setup, not what is measured)
const started = Date.now()
const groupStore = new GroupStore(db)
const memberships = new MembershipStore(db)
const all: Group[] = []
const userIds: string[] = []
await db.transaction(async () => {
  const add = async (parent: Group | null, name: string) => {
    const group = {
      id: randomUUID(),
      parentId: parent?.id ?? null,
      name,
      path: parent ? `${parent.path}/${name}` : name,
      created: now,
    }
    await groupStore.insert(group)
    all.push(group)
    return group
  }
  for (let n = 0; n < NAMESPACES; n++) {
    const root = await add(null, `app${n}`)
    for (let r = 0; r < ROOMS; r++) {
      const room = await add(root, `room${r}`)
      for (let s = 0; s < SUBS; s++) await add(room, `sub${s}`)
    }
  }
  // A fixed-seed generator: every run measures the same data set.
  let seed = 42
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
  for (let u = 0; u < USERS; u++) {
    const user = (await users.ensureForIdentity('bench', `user${u}`, now)).id
    userIds.push(user)
    for (let m = 0; m < PER_USER; m++) {
      const group = all[Math.floor(random() * all.length)]!
      await memberships.insert({
        id: randomUUID(),
        userId: user,
        groupId: group.id,
        invitationId: null,
        owner: false,
        appId: null,
        // Some expired, most not: the check must skip the expired ones.
        until: random() < 0.1 ? now - 10 : null,
        spots: 0,
        deauthorizes: 0,
        dos: null,
        created: now,
      })
    }
  }
})
await db.sql.run('PRAGMA optimize')
const setupSeconds = (Date.now() - started) / 1000

// The checked user and a mix of paths: held directly, held through an ancestor, not held, and not existing.
const subject = userIds[USERS / 2]!
const held = (await groups.membership.current(subject)).map(m => m.path)
const leaves = all.filter(g => g.path.split('/').length === 3).map(g => g.path)
const probes = [
  ...held.slice(0, 20),
  ...held
    .filter(p => p.split('/').length < 3)
    .flatMap(p => leaves.filter(l => l.startsWith(p + '/')).slice(0, 2))
    .slice(0, 10),
  ...leaves.filter((_, i) => i % 997 === 0).slice(0, 15),
  ...Array.from({ length: 5 }, (_, i) => `app${i}/room1/missing${i}`),
]
const pkIds = userIds.filter((_, i) => i % 40 === 0)
// Three probe paths each, as `/login/check?group=` receives them.
const expressions = probes.map(
  (p, i) => `${p} | ${probes[(i + 7) % probes.length]} & !${probes[(i + 13) % probes.length]}`,
)

type Kind = 'check' | 'expression' | 'pk'

async function call(kind: Kind, i: number): Promise<boolean> {
  if (kind === 'check') return groups.membership.isMember(subject, probes[i % probes.length]!)
  if (kind === 'expression') return groups.membership.holds(subject, expressions[i % expressions.length]!)
  return (await users.get(pkIds[i % pkIds.length]!)) !== undefined
}

async function measure(kind: Kind, n: number, latencies: number[] | null): Promise<number> {
  const start = process.hrtime.bigint()
  let truthy = 0
  for (let i = 0; i < n; i++) {
    const t0 = latencies ? process.hrtime.bigint() : 0n
    truthy += (await call(kind, i)) ? 1 : 0
    if (latencies) latencies.push(Number(process.hrtime.bigint() - t0))
  }
  if (truthy < 0) throw new Error('unreachable: keeps the calls from being optimised away')
  return Number(process.hrtime.bigint() - start) / n
}

// Warm-up: statement preparation, page cache, memoised lineages, JIT.
for (const kind of ['check', 'expression', 'pk'] as const) await measure(kind, ops / 5, null)

const means: Record<Kind, number[]> = { check: [], expression: [], pk: [] }
for (let r = 0; r < rounds; r++) {
  for (const kind of ['pk', 'check', 'expression'] as const) means[kind].push(await measure(kind, ops, null))
}
// Latency percentiles are taken in a separate pass: timing each call costs time of its own.
const latencies: number[] = []
await measure('check', ops, latencies)

const sorted = latencies.sort((a, b) => a - b)
const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]! / 1000
const checkNs = median(means.check)
const expressionNs = median(means.expression)
const pkNs = median(means.pk)
const ratio = pkNs / checkNs

console.log(
  `data set: ${USERS * PER_USER} memberships, ${all.length} groups, built in ${setupSeconds.toFixed(1)} s; ` +
    `checked user holds ${held.length} current memberships; ${probes.length} probe paths`,
)
console.log(`primary-key SELECT: ${(1e9 / pkNs).toFixed(0)} ops/s (${(pkNs / 1000).toFixed(2)} µs/op)`)
console.log(
  `membership check:   ${(1e9 / checkNs).toFixed(0)} ops/s (${(checkNs / 1000).toFixed(2)} µs/op); ` +
    `p50 ${pct(0.5).toFixed(2)} µs, p99 ${pct(0.99).toFixed(2)} µs, max ${pct(1).toFixed(0)} µs`,
)
console.log(
  `3-path expression:  ${(1e9 / expressionNs).toFixed(0)} ops/s (${(expressionNs / 1000).toFixed(2)} µs/op); ` +
    `ratio to the primary-key SELECT ${(pkNs / expressionNs).toFixed(2)}`,
)
console.log(`ratio check/primary-key: ${ratio.toFixed(2)} (target ≥ 0.30); p99 target < 1000 µs`)

await db.close()
rmSync(dir, { recursive: true, force: true })
const ok = ratio >= 0.3 && pct(0.99) < 1000
console.log(ok ? 'PASS' : 'FAIL')
process.exitCode = ok ? 0 : 1
