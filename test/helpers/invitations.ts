import type { InvitationItem, InvitationRequest } from '../../src/groups/invitation-request.js'

/** An invitation to `accessing` with every limit left open, as a request naming only the group asks for it. */
export function openInvitation(accessing: string): InvitationItem {
  return {
    accessing,
    inviter: null,
    acceptanceExpiration: null,
    accessExpiration: null,
    accessDuration: null,
    plus: null,
    depletes: false,
    dos: null,
    deauthorizes: 0,
  }
}

/** A link to `accessing` alone with every limit left open; `top` sets the link's own fields. */
export function openLink(
  accessing: string,
  top: Partial<Omit<InvitationRequest, 'invitations'>> = {},
): InvitationRequest {
  return { invitees: null, redirect: null, confirm: false, invitations: [openInvitation(accessing)], ...top }
}
