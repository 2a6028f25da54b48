import type { OAuthPreset } from './preset.js'

/**
 * GitHub: public profile data needs no scope; `user:email` lets the emails
 * API say which address is the primary one and whether GitHub verified it
 * (the profile's `email` is whatever the person made public). `node_id` is
 * GitHub's stable global id (`login` can be renamed); people without a
 * display name are shown by their login.
 */
export const github: OAuthPreset = {
  id: 'github',
  label: 'GitHub',
  authorizeUrl: 'https://github.com/login/oauth/authorize',
  tokenUrl: 'https://github.com/login/oauth/access_token',
  profileUrl: 'https://api.github.com/user',
  scope: ['user:email'],
  tokenAuth: 'body',
  profileHeaders: { accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' },
  profile: { id: ['node_id'], name: ['name', 'login'], picture: ['avatar_url'], login: ['login'] },
  email: { in: 'list', url: 'https://api.github.com/user/emails' },
}
