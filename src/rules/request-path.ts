/**
 * The path a rule is matched against (docs/forward-auth.md, "Access rules"):
 * the original URI without its query or fragment, with `%XX` escapes
 * decoded, `.` and `..` segments resolved and repeated slashes collapsed,
 * so that `/%61dmin`, `/x/../admin` and `//admin` meet the rules of
 * `/admin`, as the app behind the proxy will most likely read them. An
 * escape is decoded to the one character of that byte's code (a `%C3%A9`
 * is two characters): rules are compared byte for byte, never as UTF-8,
 * so no encoding can be malformed. A path known to need none of this is
 * answered as it is, without a new string.
 */
export function requestPath(uri: string): string {
  let end = uri.length
  for (let i = 0; i < uri.length; i++) {
    const c = uri.charCodeAt(i)
    if (c === 63 /* ? */ || c === 35 /* # */) {
      end = i
      break
    }
  }
  const path = end === uri.length ? uri : uri.slice(0, end)
  return needsWork(path) ? normalise(path) : path
}

/** Whether `path` may hold an escape, a `.`/`..` segment, an empty segment, or no leading slash. */
function needsWork(path: string): boolean {
  if (path.charCodeAt(0) !== 47 /* / */) return true
  let previous = 47
  for (let i = 1; i < path.length; i++) {
    const c = path.charCodeAt(i)
    if (c === 37 /* % */ || (previous === 47 && (c === 47 || c === 46)) /* . */) return true
    previous = c
  }
  return false
}

function normalise(path: string): string {
  const decoded = decodeBytes(path)
  const segments: string[] = []
  for (const segment of decoded.split('/')) {
    if (segment === '' || segment === '.') continue
    if (segment === '..') segments.pop()
    else segments.push(segment)
  }
  const trailing = decoded.length > 1 && /\/\.{0,2}$/.test(decoded) && segments.length > 0
  return `/${segments.join('/')}${trailing ? '/' : ''}`
}

/** `%XX` escapes as the characters of those byte values; anything else (a stray `%`) as it is. */
export function decodeBytes(text: string): string {
  return text.includes('%')
    ? text.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
    : text
}

/**
 * The host a rule is matched against: lower case, without a port or a
 * trailing dot (`App.Example.org.:8443` is `app.example.org`).
 */
export function requestHost(host: string): string {
  let end = host.length
  // A port follows the last colon, unless that colon is inside an IPv6 literal.
  const colon = host.lastIndexOf(':')
  if (colon !== -1 && host.indexOf(']', colon) === -1) end = colon
  if (host.charCodeAt(end - 1) === 46 /* . */) end--
  const bare = end === host.length ? host : host.slice(0, end)
  return /[A-Z]/.test(bare) ? bare.toLowerCase() : bare
}
