import proxyAddr from '@fastify/proxy-addr'
import type { Config } from '../config.js'

/** Tells, for each address in the forwarding chain (the peer first), whether it is a proxy of ours. */
export type TrustProxy = false | ((address: string, hop: number) => boolean)

/**
 * Fastify's `trustProxy` for `LOGIN_TRUST_PROXY` (docs/security.md, "The visitor's address"). A
 * hop count trusts that many addresses from the end of the chain, the peer
 * first, so that with `1` the visitor is the address the one proxy in front
 * added, whatever the visitor wrote before it. (Fastify itself trusts
 * nothing when given a number, which would record the proxy's own address
 * for everyone.) A list trusts only those addresses.
 */
export function trustedProxies(setting: Config['trustProxy']): TrustProxy {
  if (typeof setting === 'number') return setting === 0 ? false : (_address, hop) => hop < setting
  return proxyAddr.compile([...setting])
}
