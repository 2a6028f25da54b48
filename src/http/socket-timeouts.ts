import type { Config } from '../config.js'

/** What node:http needs to close sockets whose requests never finish, and idle ones. */
export interface SocketTimeouts {
  /** The headers must arrive within this many milliseconds. */
  headersTimeout: number
  /** The whole request must arrive within this many milliseconds. */
  requestTimeout: number
  /** An idle keep-alive connection is closed after this many milliseconds. */
  keepAliveTimeout: number
  /** How often Node looks for requests past their deadline (30 s by default, which would double the limit). */
  connectionsCheckingInterval: number
}

/**
 * The timeouts of every port the server listens on, the public one and the
 * metrics endpoint (docs/security.md, "Malformed and slow input"): a client that trickles its request
 * one header line at a time never holds a socket longer than
 * `LOGIN_REQUEST_TIMEOUT_MS` (Node's own defaults are a minute and more).
 */
export function socketTimeouts(config: Pick<Config, 'requestTimeoutMs' | 'keepAliveTimeoutMs'>): SocketTimeouts {
  return {
    headersTimeout: config.requestTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, Math.ceil(config.requestTimeoutMs / 2)),
  }
}
