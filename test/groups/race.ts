/**
 * Shared by the concurrency tests: the two scenarios of the issue, set up
 * through the services, then raced over real HTTP.
 */
import type { Test } from 'tap'
import type { GroupServices } from '../../src/groups/services.js'
import { parseInvitationRequest } from '../../src/groups/invitation-request.js'
import type { UserStore } from '../../src/storage/users.js'

export interface Race {
  /** The link ids the 50 acceptances are spread over. */
  links: string[]
  /** How many acceptances the limits allow. */
  admits: number
}

/** `owner` invites with `invitees: 5`. */
export async function fivePlaces(groups: GroupServices, users: UserStore, round: number, now: number): Promise<Race> {
  const owner = (await users.ensureForIdentity('test', 'owner', now)).id
  const link = await groups.invitations.create(
    owner,
    parseInvitationRequest({ invitees: 5, invitations: [{ accessing: `chat/five${round}` }] }),
  )
  return { links: [link.id], admits: 5 }
}

/**
 * A depleting chain whose ancestor has 3 spots left: alice (4 spots)
 * admits bob through a depleting invitation (now 3 spots left); bob's five
 * depleting links offer 15 places, of which alice's spots leave 3.
 */
export async function depletingChain(
  groups: GroupServices,
  users: UserStore,
  round: number,
  now: number,
): Promise<Race> {
  const alice = (await users.ensureForIdentity('test', `alice${round}`, now)).id
  const bob = (await users.ensureForIdentity('test', `bob${round}`, now)).id
  const path = `chat/chain${round}`
  await groups.membership.grant(alice, path, { spots: 4 })
  const toBob = await groups.invitations.create(
    alice,
    parseInvitationRequest({ invitees: 4, invitations: [{ accessing: path, depletes: true, plus: 4 }] }),
  )
  await groups.invitations.accept(bob, toBob.id)
  const links: string[] = []
  for (let i = 0; i < 5; i++) {
    const link = await groups.invitations.create(
      bob,
      parseInvitationRequest({ invitees: 3, invitations: [{ accessing: path, depletes: true, plus: 0 }] }),
    )
    links.push(link.id)
  }
  return { links, admits: 3 }
}

/** Both scenarios, by name. */
export const SCENARIOS = [
  ['invitees: 5', fivePlaces],
  ['depleting chain, 3-spot ancestor', depletingChain],
] as const

/** Fires one POST /login/access/add per cookie at once, spread over the links and servers; answers the status counts. */
export async function raceAcceptances(
  bases: string[],
  cookies: string[],
  links: string[],
): Promise<Record<number, number>> {
  const statuses = await Promise.all(
    cookies.map(async (cookie, i) => {
      const response = await fetch(`${bases[i % bases.length]}/login/access/add/${links[i % links.length]}`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json' },
        body: '{}',
      })
      await response.arrayBuffer()
      return response.status
    }),
  )
  const counts: Record<number, number> = {}
  for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1
  return counts
}

/**
 * Races both scenarios `rounds` times each over the servers at `bases`, one
 * acceptance per cookie: exactly what the limits allow is admitted, and
 * exactly that many memberships exist afterwards. `where` ends each message.
 */
export async function raceRounds(
  t: Test,
  services: { groups: GroupServices; users: UserStore; clock: { now(): number } },
  bases: string[],
  cookies: string[],
  rounds: number,
  where = '',
): Promise<void> {
  const { groups, users, clock } = services
  for (const [name, scenario] of SCENARIOS) {
    for (let round = 0; round < rounds; round++) {
      const race = await scenario(groups, users, round, clock.now())
      const counts = await raceAcceptances(bases, cookies, race.links)
      t.same(counts, { 200: race.admits, 410: cookies.length - race.admits }, `${name}, round ${round + 1}${where}`)
      const owner = (await users.findByIdentity('test', 'owner'))!.id
      const members = (await groups.removal.removable(owner)).filter(m => race.links.includes(m.invitationId ?? ''))
      t.equal(members.length, race.admits, `and exactly that many memberships exist${where}`)
    }
  }
}
