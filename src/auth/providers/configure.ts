import type { FastifyInstance } from 'fastify'
import { errors } from '../../errors.js'
import { loadCredentials } from './credentials.js'
import { registerClient } from './oauth-client.js'
import type { OAuthProvider } from './oauth-provider.js'
import { discover } from './oidc-discovery.js'
import { oidcProvider } from './oidc-provider.js'
import { rebase } from './preset.js'
import { presetProvider } from './preset-provider.js'
import { presets } from './presets.js'

/**
 * Builds the OAuth providers that credentials.json names, each with its
 * @fastify/oauth2 client registered on `app`; answers them by path below
 * `/login` (`google`, `oidc/<name>`). OpenID providers are discovered now,
 * concurrently and within the provider timeout: an issuer that cannot be
 * reached or does not describe itself stops the start, naming its key,
 * like any other bad setting.
 */
export async function configureProviders(app: FastifyInstance): Promise<Map<string, OAuthProvider>> {
  const { config, clock } = app.ctx
  const credentials = loadCredentials(
    config.credentialsPath,
    presets.map(p => p.id),
  )
  const timeoutMs = config.providerTimeoutMs
  const callback = (path: string) => `${config.publicUrl}/login/${path}/continue`
  const providers = new Map<string, OAuthProvider>()

  for (const preset of presets) {
    const entry = credentials.clients.get(preset.id)
    if (!entry) continue
    const redirectUri = callback(preset.id)
    const client = await registerClient(app, {
      name: `oauth2:${preset.id}`,
      clientId: entry.id,
      secret: entry.secret,
      authorizeUrl: rebase(preset.authorizeUrl, entry.baseUrl),
      tokenUrl: rebase(preset.tokenUrl, entry.baseUrl),
      tokenAuth: preset.tokenAuth,
      redirectUri,
      scope: preset.scope,
      timeoutMs,
      what: preset.label,
    })
    providers.set(preset.id, presetProvider(preset, entry, client, redirectUri, timeoutMs))
  }

  const discovered = await Promise.all(
    credentials.oidc.map(async entry => {
      try {
        return await discover(entry.issuer, timeoutMs)
      } catch (error) {
        throw new errors.Config(`${config.credentialsPath}: "oidc.${entry.name}": ${(error as Error).message}`)
      }
    }),
  )
  for (const [index, entry] of credentials.oidc.entries()) {
    const metadata = discovered[index]!
    const path = `oidc/${entry.name}`
    const redirectUri = callback(path)
    const client = await registerClient(app, {
      name: `oauth2:oidc:${entry.name}`,
      clientId: entry.id,
      secret: entry.secret,
      authorizeUrl: metadata.authorizationEndpoint,
      tokenUrl: metadata.tokenEndpoint,
      tokenAuth: metadata.tokenAuth,
      redirectUri,
      scope: entry.scope,
      timeoutMs,
      what: entry.label,
    })
    providers.set(path, oidcProvider(entry, metadata, client, redirectUri, clock, timeoutMs))
  }
  return providers
}
