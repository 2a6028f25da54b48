/**
 * Paths that carry an invitation's id or short code, a bearer link: kept
 * out of logs (the part after the prefix) and out of `Referer` headers.
 */
export const INVITATION_PATH = /(\/login\/access\/(?:accept|add|qr\/accept|qr\/img)\/)[^/?#]+/g

/** Whether a URL is one of them. */
export function carriesInvitation(url: string): boolean {
  INVITATION_PATH.lastIndex = 0
  return INVITATION_PATH.test(url)
}

/** Where accepting sends a person whose invitation named no redirect: their groups. */
export const DEFAULT_LANDING = '/login/access/view/groups'
