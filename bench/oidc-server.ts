/**
 * The login server for bench/oidc.ts, in its own process so that it and the
 * load generator do not share a thread: one OpenID Connect client and one
 * device client registered, one user signed in. Tells the parent what a relying party
 * needs over IPC once it listens.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { clientSettings } from '../src/oidc/client-settings.js'
import { issuerOf } from '../src/oidc/issuer.js'
import { freePort } from '../test/helpers/free-port.js'
import { exitWithParent } from './support.js'

export interface OidcServerReady {
  base: string
  issuer: string
  /** `name=value` of a valid lease cookie. */
  cookie: string
  client: { id: string; secret: string }
  /** A public client registered with `--device`. */
  device: { id: string }
  redirectUri: string
}

// Nothing listens there: the bench reads the code from the redirect's Location.
const REDIRECT_URI = 'http://127.0.0.1:9/callback'
const { logLevel } = JSON.parse(process.argv[2] ?? '{}') as { logLevel: string }
const runDir = mkdtempSync(join(tmpdir(), 'login-bench-'))
// The issuer names the port, so it is chosen before the configuration is made.
const port = await freePort()
const config = loadConfig(
  {},
  { runDir, debug: true, logLevel, rateLimit: 1_000_000, publicUrl: `http://127.0.0.1:${port}`, port },
)
const app = await buildApp(config)
await app.listen({ host: '127.0.0.1', port })
const client = await app.ctx.apps.add('bench', clientSettings({ redirectUris: [REDIRECT_URI] }))
const device = await app.ctx.apps.add('bench-device', clientSettings({ device: true, public: true }))
const signIn = await app.inject({ url: '/login/test/as?who=bench' })
const cookie = ([] as string[])
  .concat(signIn.headers['set-cookie'] ?? [])
  .find(c => c.startsWith('login=') && !c.startsWith('login=;'))
  ?.split(';')[0]
if (!cookie) throw new Error(`sign-in failed: ${signIn.statusCode} ${signIn.body}`)
const ready: OidcServerReady = {
  base: config.publicUrl,
  issuer: issuerOf(config),
  cookie,
  client: { id: client.id, secret: client.secret! },
  device: { id: device.id },
  redirectUri: REDIRECT_URI,
}
process.send!(ready)

exitWithParent(() => app.close(), runDir)
