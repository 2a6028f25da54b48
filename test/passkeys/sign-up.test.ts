// An account made with a passkey through an invitation is one transaction with the acceptance: the invitation's
// rules refuse as for anyone, and a refusal leaves no account, no passkey, and nothing consumed. On both engines,
// with acceptances racing.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { startApp } from '../helpers/app.js'
import { openLink } from '../helpers/invitations.js'
import { startPostgres } from '../helpers/postgres.js'
import type { Passkey } from '../../src/storage/passkeys.js'

const cluster = await startPostgres(t)
const engines: [string, () => Promise<string | null>][] = [['sqlite', async () => null]]
if (typeof cluster === 'string') t.comment(`PostgreSQL left out: ${cluster}`)
else engines.push(['postgres', () => cluster.createDatabase()])

/** A newcomer and the passkey their browser made (as a verified registration leaves it: nothing here verifies it). */
function newcomer(app: FastifyInstance, name: string) {
  const user = { id: randomUUID(), name, picture: '' }
  const passkey: Passkey = {
    id: randomUUID(),
    credentialId: randomUUID(),
    userId: user.id,
    publicKey: Buffer.from('key'),
    counter: 0,
    transports: ['internal'],
    backupEligible: false,
    backedUp: false,
    name: 'Passkey on iPhone',
    created: app.ctx.clock.now(),
    lastUsed: null,
  }
  return { user, passkey }
}

for (const [engine, database] of engines) {
  t.test(engine, async t => {
    const { app, clock } = await startApp(t, { database: await database() })
    const { groups, users, passkeys } = app.ctx
    const { owner } = await groups.tree.ensureNamespace('club', 'test', 'owner')
    const exists = async (id: string) => (await users.get(id)) !== undefined

    t.test('a one-place invitation: the first newcomer joins, the second is refused and nothing is left', async t => {
      const link = await groups.invitations.create(owner.id, openLink('club/one', { invitees: 1 }))
      const first = newcomer(app, 'First')
      const accepted = await passkeys.signUp.createAccount(first.user, first.passkey, link.code)
      t.same(
        accepted?.memberships.map(m => m.path),
        ['club/one'],
      )
      t.ok(await groups.membership.holds(first.user.id, 'club/one'), 'the new account is a member')
      t.same(await users.identities(first.user.id), [], 'with no provider identity')
      t.equal((await passkeys.passkeys.list(first.user.id)).length, 1, 'and its passkey')
      t.equal((await groups.invitations.describe(link.code, null)).placesLeft, 0, 'the place is counted once')

      const second = newcomer(app, 'Second')
      await t.rejects(passkeys.signUp.createAccount(second.user, second.passkey, link.code), {
        code: 'LOGIN_ERR_INVITATION_GONE',
      })
      t.notOk(await exists(second.user.id), 'no account was created')
      t.same(await passkeys.passkeys.list(second.user.id), [], 'nor its passkey kept')
    })

    t.test('an expired or cancelled invitation creates no account', async t => {
      const now = app.ctx.clock.now()
      const soon = await groups.invitations.create(owner.id, {
        ...openLink('club/soon'),
        invitations: [{ ...openLink('club/soon').invitations[0]!, acceptanceExpiration: now + 60 }],
      })
      const cancelled = await groups.invitations.create(owner.id, openLink('club/gone'))
      await groups.removal.cancel(owner.id, [cancelled.id])
      clock.advance(61)
      for (const link of [soon, cancelled]) {
        const late = newcomer(app, 'Late')
        await t.rejects(passkeys.signUp.createAccount(late.user, late.passkey, link.code), {
          code: 'LOGIN_ERR_INVITATION_GONE',
        })
        t.notOk(await exists(late.user.id))
      }
    })

    t.test('ten newcomers racing for three places: three accounts, seven refused with none left behind', async t => {
      const link = await groups.invitations.create(owner.id, openLink('club/race', { invitees: 3 }))
      const racers = Array.from({ length: 10 }, (_, i) => newcomer(app, `Racer ${i}`))
      const outcomes = await Promise.allSettled(
        racers.map(r => passkeys.signUp.createAccount(r.user, r.passkey, link.code)),
      )
      const won = racers.filter((_, i) => outcomes[i]!.status === 'fulfilled')
      t.equal(won.length, 3, 'exactly the places there were')
      for (const [i, outcome] of outcomes.entries()) {
        if (outcome.status === 'rejected') t.match(outcome.reason, { code: 'LOGIN_ERR_INVITATION_GONE' })
        t.equal(
          await exists(racers[i]!.user.id),
          outcome.status === 'fulfilled',
          `racer ${i}: an account only if joined`,
        )
      }
      t.equal((await groups.invitations.describe(link.code, null)).placesLeft, 0)
    })

    t.test('a passkey refused after the acceptance rolls the acceptance back: the place stays', async t => {
      const link = await groups.invitations.create(owner.id, openLink('club/dup', { invitees: 2 }))
      const first = newcomer(app, 'Dup one')
      await passkeys.signUp.createAccount(first.user, first.passkey, link.code)
      t.equal((await groups.invitations.describe(link.code, null)).placesLeft, 1)
      const second = newcomer(app, 'Dup two')
      const copied = { ...second.passkey, credentialId: first.passkey.credentialId }
      await t.rejects(passkeys.signUp.createAccount(second.user, copied, link.code), { code: 'LOGIN_ERR_CONFLICT' })
      t.notOk(await exists(second.user.id))
      t.equal((await groups.invitations.describe(link.code, null)).placesLeft, 1, 'the place it took is back')
      t.notOk(await groups.membership.holds(second.user.id, 'club/dup'))
    })
  })
}
