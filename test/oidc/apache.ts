import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { constants, chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { access } from 'node:fs/promises'
import { join } from 'node:path'
import { freePort } from '../helpers/free-port.js'
import { tempDir } from '../helpers/temp-dir.js'
import { stopWhenDone } from '../helpers/child-process.js'
import type { Teardown } from '../helpers/teardown.js'

/** Debian's Apache and mod_auth_openidc (packages apache2 and libapache2-mod-auth-openidc, installed by .ci/run). */
export const APACHE = process.env.APACHE_PATH ?? '/usr/sbin/apache2'
const MODULES = '/usr/lib/apache2/modules'

/** What Apache needs to know of the OpenID Provider and of the client registered for it. */
export interface ApacheClient {
  issuer: string
  clientId: string
  secret: string
}

/**
 * A running Apache: `base` serves `/protected/index.shtml`, which shows `REMOTE_USER` (the handle),
 * `OIDC_CLAIM_email`, `OIDC_CLAIM_name` and `OIDC_CLAIM_groups`, configured as docs/openid-provider.md,
 * "Grafana, Gitea, Nextcloud and Apache side by side", says.
 */
export interface Apache {
  base: string
  redirectUri: string
  /** The error log so far (mod_auth_openidc reports there). */
  log(): string
}

/** The port and redirect URI Apache will use, known before the client is registered. */
export async function apachePlan(): Promise<{ port: number; redirectUri: string }> {
  const port = await freePort()
  return { port, redirectUri: `http://127.0.0.1:${port}/protected/redirect_uri` }
}

/**
 * Why the Apache test cannot run here (Apache or the module missing), or
 * false; under `CI=true` a missing part throws instead, since a skipped test
 * would hide a broken setup.
 */
export async function apacheMissing(): Promise<string | false> {
  try {
    await access(APACHE, constants.X_OK)
    await access(join(MODULES, 'mod_auth_openidc.so'), constants.R_OK)
    return false
  } catch {
    const reason = `Apache test needs ${APACHE} and mod_auth_openidc (apt-get install apache2 libapache2-mod-auth-openidc)`
    if (process.env.CI === 'true') throw new Error(`${reason}; it is required under CI`)
    return reason
  }
}

/**
 * Starts Apache on loopback with a private configuration in a temporary
 * folder, protecting a static page with mod_auth_openidc.
 */
export async function startApache(
  t: Teardown,
  plan: { port: number; redirectUri: string },
  oidc: ApacheClient,
): Promise<Apache> {
  const dir = tempDir(t, 'login-apache-')
  // Apache started as root serves as www-data, which must read the pages.
  chmodSync(dir, 0o755)
  const htdocs = join(dir, 'htdocs', 'protected')
  mkdirSync(htdocs, { recursive: true, mode: 0o755 })
  writeFileSync(
    join(htdocs, 'index.shtml'),
    '<!doctype html><title>Protected</title>\n' +
      '<p id="user"><!--#echo var="REMOTE_USER" --></p>\n' +
      '<p id="email"><!--#echo var="OIDC_CLAIM_email" --></p>\n' +
      '<p id="name"><!--#echo var="OIDC_CLAIM_name" --></p>\n' +
      '<p id="groups"><!--#echo var="OIDC_CLAIM_groups" --></p>\n',
    { mode: 0o644 },
  )
  const module = (name: string, file: string) => `LoadModule ${name} ${join(MODULES, file)}`
  const config = join(dir, 'httpd.conf')
  writeFileSync(
    config,
    [
      module('mpm_event_module', 'mod_mpm_event.so'),
      module('authn_core_module', 'mod_authn_core.so'),
      module('authz_core_module', 'mod_authz_core.so'),
      module('authz_user_module', 'mod_authz_user.so'),
      module('mime_module', 'mod_mime.so'),
      module('include_module', 'mod_include.so'),
      module('auth_openidc_module', 'mod_auth_openidc.so'),
      `ServerRoot ${dir}`,
      'ServerName 127.0.0.1',
      `Listen 127.0.0.1:${plan.port}`,
      `PidFile ${join(dir, 'httpd.pid')}`,
      `ErrorLog ${join(dir, 'error.log')}`,
      'LogLevel warn auth_openidc:info',
      ...(process.getuid?.() === 0 ? ['User www-data', 'Group www-data'] : []),
      `DocumentRoot ${join(dir, 'htdocs')}`,
      'TypesConfig /dev/null',
      'AddType text/html .shtml',
      'AddOutputFilter INCLUDES .shtml',
      `OIDCProviderMetadataURL ${oidc.issuer}/.well-known/openid-configuration`,
      `OIDCClientID ${oidc.clientId}`,
      `OIDCClientSecret ${oidc.secret}`,
      `OIDCRedirectURI ${plan.redirectUri}`,
      `OIDCCryptoPassphrase ${randomBytes(24).toString('hex')}`,
      'OIDCScope "openid profile email groups"',
      'OIDCRemoteUserClaim preferred_username',
      'OIDCPKCEMethod S256',
      '<Location /protected>',
      '  AuthType openid-connect',
      '  Require valid-user',
      '  Options +Includes',
      '</Location>',
      '',
    ].join('\n'),
  )
  const child = spawn(APACHE, ['-f', config, '-D', 'FOREGROUND'], { stdio: ['ignore', 'inherit', 'inherit'] })
  stopWhenDone(t, child)
  const base = `http://127.0.0.1:${plan.port}`
  const log = () => {
    try {
      return readFileSync(join(dir, 'error.log'), 'utf8')
    } catch {
      return ''
    }
  }
  // Ready once it answers; the page itself wants a sign-in, so any answer will do.
  const deadline = Date.now() + 30_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`apache exited with ${child.exitCode}: ${log()}`)
    try {
      await fetch(`${base}/`, { redirect: 'manual' })
      break
    } catch {
      if (Date.now() > deadline) throw new Error(`apache did not answer within 30 s: ${log()}`)
      await new Promise(resolve => setTimeout(resolve, 100))
    }
  }
  return { base, redirectUri: plan.redirectUri, log }
}
