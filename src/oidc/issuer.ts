import type { Config } from '../config.js'

/** The OpenID Provider's issuer identifier: `<public url>/login` (discovery below it, at `/.well-known/openid-configuration`). */
export function issuerOf(config: Pick<Config, 'publicUrl'>): string {
  return `${config.publicUrl}/login`
}
