/** The outcome of a call to a provider API: its JSON, or why there is none, in words fit for an error message. */
export type JsonResult = { ok: true; body: unknown } | { ok: false; reason: string }

const USER_AGENT = 'modular-login'
// OAuth error codes are short ASCII tokens (RFC 6749 §5.2); anything else is not echoed.
const ERROR_CODE = /^[\x20-\x21\x23-\x5B\x5D-\x7E]{1,64}$/

/** The `error` code of an OAuth error body, as ` (code)`, or nothing. */
export function oauthErrorOf(body: unknown): string {
  const code = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined
  return typeof code === 'string' && ERROR_CODE.test(code) ? ` (${code})` : ''
}

/**
 * GETs a provider URL and parses its JSON, within `timeoutMs` for the whole
 * exchange (headers and body). Never throws: a provider being down is an
 * expected outcome that each caller words in its own terms. Redirects are
 * refused so that a bearer token only ever goes where it was meant to.
 */
export async function fetchJson(url: string, headers: Record<string, string>, timeoutMs: number): Promise<JsonResult> {
  const signal = AbortSignal.timeout(timeoutMs)
  const late = { ok: false, reason: `did not answer within ${timeoutMs} ms` } as const
  let response: Response
  try {
    response = await fetch(url, {
      headers: { accept: 'application/json', 'user-agent': USER_AGENT, ...headers },
      signal,
      redirect: 'error',
    })
  } catch {
    return signal.aborted ? late : { ok: false, reason: 'could not be reached' }
  }
  let body: unknown
  try {
    body = JSON.parse(await response.text())
  } catch {
    if (signal.aborted) return late
    return {
      ok: false,
      reason: response.ok ? 'answered something other than JSON' : `answered HTTP ${response.status}`,
    }
  }
  if (!response.ok) return { ok: false, reason: `answered HTTP ${response.status}${oauthErrorOf(body)}` }
  return { ok: true, body }
}
