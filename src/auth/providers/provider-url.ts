import { isIP } from 'node:net'

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '')
  if (host === 'localhost' || host === '::1') return true
  return isIP(host) === 4 && host.startsWith('127.')
}

/**
 * Why a provider URL (issuer, endpoint, base URL) is unacceptable, or null
 * when it is fine. Codes, tokens and the client secret travel to these URLs,
 * so they must be https, except on loopback, where development and test
 * providers run.
 */
export function providerUrlProblem(raw: string): string | null {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return `must be an absolute URL, got ${JSON.stringify(raw.slice(0, 200))}`
  }
  if (url.username || url.password || url.hash) return 'must not carry credentials or a fragment'
  if (url.protocol === 'https:') return null
  if (url.protocol === 'http:' && isLoopback(url.hostname)) return null
  return `must use https (plain http only on loopback), got ${JSON.stringify(raw.slice(0, 200))}`
}
