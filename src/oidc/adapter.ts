import Provider, { errors as oidcErrors, type Adapter, type AdapterFactory, type AdapterPayload } from 'oidc-provider'
import type { OidcStore } from '../storage/oidc.js'
import { ipOf } from './forwarded.js'

/** Wall-clock Unix seconds: the clock oidc-provider writes `exp` with, so that stored expiry agrees with its own. */
export function wallClock(): number {
  return Math.floor(Date.now() / 1000)
}

/** Models that are used once: a second use means a replay (or a race lost to another request). */
const SINGLE_USE = new Set(['AuthorizationCode', 'RefreshToken', 'DeviceCode'])
const WHAT: Record<string, string> = {
  AuthorizationCode: 'authorization code',
  RefreshToken: 'refresh token',
  DeviceCode: 'device code',
}

/**
 * oidc-provider's storage, one adapter per model, over the async
 * {@link OidcStore}. Clients are not stored by oidc-provider: they are the
 * apps registered with `app add`, answered by `clients`. One address may
 * hold `interactionsPerIp` interactions at once (`LOGIN_OIDC_INTERACTIONS_PER_IP`):
 * beyond them an authorization request goes back to its client with
 * `temporarily_unavailable`, and stores nothing.
 */
export function createAdapter(
  store: OidcStore,
  clients: (id: string) => Promise<AdapterPayload | undefined>,
  interactionsPerIp: number,
): AdapterFactory {
  return (model: string): Adapter => ({
    async upsert(id, payload, expiresIn) {
      const now = wallClock()
      // Every model here has a lifetime; the fallback only guards against one that would not.
      const expires = now + (expiresIn ?? 3600)
      if (model !== 'Interaction') return store.upsert(model, id, payload, expires)
      // The request oidc-provider is handling, if any (this server's interaction step saves outside one).
      const request = Provider.ctx?.req
      const ip = request ? ipOf(request) : null
      if (!(await store.upsertInteraction(id, payload, expires, { ip, limit: interactionsPerIp, now })))
        throw new oidcErrors.TemporarilyUnavailable(
          'too many sign-ins are under way from this address; try again in a few minutes',
        )
    },

    async find(id) {
      if (model === 'Client') return clients(id)
      // An expired device code is still answered until swept, so that the polling device hears `expired_token`.
      return store.find(model, id, model === 'DeviceCode' ? 0 : wallClock())
    },

    async findByUid(uid) {
      return store.findSessionByUid(uid, wallClock())
    },

    async findByUserCode(userCode) {
      return store.findByUserCode(userCode, wallClock())
    },

    async consume(id) {
      if (await store.consume(model, id, wallClock())) return
      if (!SINGLE_USE.has(model)) return
      // Two requests presented the same code or refresh token at once: the first
      // one won; treat the second like a replay, and end what the first one got.
      const payload = await store.find(model, id, wallClock())
      if (typeof payload?.grantId === 'string') await store.revokeGrant(payload.grantId)
      throw new oidcErrors.InvalidGrant(`${WHAT[model]} already used`)
    },

    async destroy(id) {
      await store.destroy(model, id)
    },

    async revokeByGrantId(grantId) {
      await store.revokeByGrantId(model, grantId)
    },
  })
}
