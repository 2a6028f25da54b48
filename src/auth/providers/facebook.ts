import type { OAuthPreset } from './preset.js'

/**
 * Facebook: the Graph API, unversioned so that it never falls off Meta's
 * two-year version window (calls use the oldest version the app may use).
 * The picture comes nested as `picture.data.url`; the `email` permission
 * gives the address, which Facebook answers only once confirmed.
 */
export const facebook: OAuthPreset = {
  id: 'facebook',
  label: 'Facebook',
  authorizeUrl: 'https://www.facebook.com/dialog/oauth',
  tokenUrl: 'https://graph.facebook.com/oauth/access_token',
  profileUrl: 'https://graph.facebook.com/me?fields=id,name,picture,email',
  scope: ['public_profile', 'email'],
  tokenAuth: 'body',
  profileHeaders: {},
  profile: { id: ['id'], name: ['name'], picture: ['picture.data.url'], login: [] },
  email: { in: 'profile', address: 'email', verified: 'always' },
}
