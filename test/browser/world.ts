import type { ServedApp } from '../helpers/app.js'
import { AGENTS } from './support.js'

const json = { 'content-type': 'application/json' }
const DAY = 86400
export const LONG_NAME = 'Wolfeschlegelsteinhausenbergerdorffvoralternwarengewissenhaft'
export const LONG_GROUP = 'wolfeschlegelsteinhausenbergerdorff-archive-of-everything'

/** What the full world holds, for the pages to be visited. */
export interface World {
  /** A link of Ada's to chat/photos that asks for confirmation, still open. */
  pending: string
  /** A cancelled link (its page says so). */
  cancelled: string
  /** Ada's membership of chat. */
  adaMembership: string
  /** Grace's membership of chat/room, admitted by Ada. */
  graceMembership: string
}

/**
 * A namespace in use, built through the JSON API over nine days of the
 * app's clock: Ada owns `chat` and signs in from three devices; she
 * admits Grace to `chat/room`, who admits Alan, and someone with a very
 * long name to a group with a very long one; two invitations are open
 * and one was cancelled. Ends at the clock's original now.
 */
export async function fullWorld(served: ServedApp): Promise<World> {
  const { app, clock, signIn } = served
  const post = async (cookie: string, url: string, payload: unknown) => {
    const response = await app.inject({
      method: 'POST',
      url,
      headers: { ...json, cookie },
      payload: JSON.stringify(payload),
    })
    if (response.statusCode !== 200) throw new Error(`${url}: ${response.statusCode} ${response.body}`)
    return response.json()
  }
  const now = clock.now()
  clock.set(now - 9 * DAY)
  await app.ctx.groups.tree.ensureNamespace('chat', 'test', 'Ada')
  await signIn('Ada', { 'user-agent': AGENTS.safariIphone })
  clock.advance(DAY)
  const adaWindows = await signIn('Ada', { 'user-agent': AGENTS.firefoxWindows })
  const forGrace = await post(adaWindows, '/login/access/allow', {
    invitees: 1,
    invitations: [{ accessing: 'chat/room', plus: 3, dos: 3, deauthorizes: 1 }],
  })
  clock.advance(3600)
  const grace = await signIn('Grace', { 'user-agent': AGENTS.chromeAndroid })
  const graceJoined = await post(grace, `/login/access/add/${forGrace.short}`, {})
  clock.advance(2 * DAY)
  const forAlan = await post(grace, '/login/access/allow', {
    invitees: 1,
    invitations: [{ accessing: 'chat/room', plus: 0, dos: 1, access_duration: 30 * DAY }],
  })
  const alan = await signIn('Alan', { 'user-agent': AGENTS.chromeLinux })
  await post(alan, `/login/access/add/${forAlan.short}`, {})
  // Long unbroken words must wrap on a phone.
  const forLong = await post(adaWindows, '/login/access/allow', {
    invitations: [{ accessing: `chat/room/${LONG_GROUP}` }],
  })
  const long = await signIn(LONG_NAME, { 'user-agent': 'python-requests/2.32.3' })
  await post(long, `/login/access/add/${forLong.short}`, {})
  clock.advance(2 * DAY)
  const dropped = await post(adaWindows, '/login/access/allow', { invitations: [{ accessing: 'chat/old' }] })
  await post(adaWindows, '/login/access/cancel', { invitations: [dropped.long] })
  clock.advance(2 * DAY)
  const pending = await post(adaWindows, '/login/access/allow', {
    invitees: 3,
    confirm: true,
    invitations: [{ accessing: 'chat/photos', acceptance_expiration: now + 5 * DAY, access_duration: 30 * DAY }],
  })
  await post(grace, '/login/access/allow', {
    invitees: 2,
    invitations: [{ accessing: 'chat/room', plus: 0, dos: 1, acceptance_expiration: now + 2 * DAY }],
  })
  clock.set(now)
  const ada = (await app.ctx.users.findByIdentity('test', 'Ada'))!
  return {
    pending: pending.short,
    cancelled: dropped.short,
    adaMembership: (await app.ctx.groups.membership.current(ada.id))[0]!.id,
    graceMembership: graceJoined.memberships[0].membership,
  }
}
