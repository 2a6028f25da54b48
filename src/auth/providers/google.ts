import type { OAuthPreset } from './preset.js'

/**
 * Google: OAuth 2 with the OpenID Connect userinfo endpoint for the profile
 * (endpoints from accounts.google.com/.well-known/openid-configuration).
 */
export const google: OAuthPreset = {
  id: 'google',
  label: 'Google',
  authorizeUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
  tokenUrl: 'https://oauth2.googleapis.com/token',
  profileUrl: 'https://openidconnect.googleapis.com/v1/userinfo',
  scope: ['openid', 'profile', 'email'],
  tokenAuth: 'header',
  profileHeaders: {},
  profile: { id: ['sub'], name: ['name'], picture: ['picture'], login: [] },
  email: { in: 'profile', address: 'email', verified: 'email_verified' },
}
