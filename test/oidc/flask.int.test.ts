import t from 'tap'
import { spawn } from 'node:child_process'
import { constants } from 'node:fs'
import { access } from 'node:fs/promises'
import { clientSettings } from '../../src/oidc/client-settings.js'
import { issuerOf } from '../../src/oidc/issuer.js'
import { serveApp } from '../helpers/app.js'
import { stopWhenDone } from '../helpers/child-process.js'
import { freePort } from '../helpers/free-port.js'
import { repoPath } from '../helpers/repo.js'
import { PATIENCE_MS, within } from '../helpers/wait.js'
import { Browser } from './fixture.js'

/** Debian's Python with its Flask and Authlib (packages python3-flask, python3-authlib, python3-requests, installed by .ci/run). */
const PYTHON = '/usr/bin/python3'
const APP = repoPath('examples', 'flask-oidc', 'app.py')

/** Why the Flask example cannot run here, or false; under `CI=true` a missing part fails instead. */
async function flaskMissing(): Promise<string | false> {
  const reason = `the Flask example needs ${PYTHON} with Flask and Authlib (apt-get install python3-flask python3-authlib python3-requests)`
  try {
    await access(PYTHON, constants.X_OK)
    const probe = spawn(PYTHON, ['-c', 'import flask, authlib, requests'], { stdio: 'ignore' })
    const code = await new Promise<number | null>(resolve => probe.once('exit', resolve))
    if (code === 0) return false
  } catch {
    // Reported below.
  }
  if (process.env.CI === 'true') throw new Error(`${reason}; it is required under CI`)
  return reason
}

const missing = await flaskMissing()

t.test(
  'a Flask app with Authlib signs a person in, reads groups and email, refreshes, and is refused after logout',
  { skip: missing },
  async t => {
    const server = await serveApp(t)
    const { users, groups, clock } = server.app.ctx
    const port = await freePort()
    const base = `http://127.0.0.1:${port}`
    const flask = await server.app.ctx.apps.add(
      'flask',
      clientSettings({ redirectUris: [`${base}/callback`], postLogoutRedirectUris: [`${base}/`] }),
    )
    await groups.tree.ensureNamespace('wiki', 'test', 'owner')
    await groups.tree.ensureNamespace('payroll', 'test', 'owner')
    await groups.appScope.allow(flask.id, 'wiki')
    // Nora, who will sign in with the test provider, also has a sign-in method that vouched for her address.
    const nora = await users.upsertFromProfile(
      { provider: 'test', providerUserId: 'Nora', name: 'Nora', picture: '' },
      clock.now(),
    )
    await users.link(nora.id, 'google', 'g-nora', clock.now(), 'nora@example.org')
    await groups.membership.grant(nora.id, 'wiki/editors')
    await groups.membership.grant(nora.id, 'payroll/staff')

    let output = ''
    const child = spawn(PYTHON, [APP], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH,
        LOGIN_ISSUER: issuerOf(server.config),
        CLIENT_ID: flask.id,
        CLIENT_SECRET: flask.secret!,
        HOST: '127.0.0.1',
        PORT: String(port),
        // Authlib refuses plain http unless told it is a trial on loopback (README.md next to the app).
        AUTHLIB_INSECURE_TRANSPORT: '1',
      },
    })
    const collect = (chunk: Buffer) => (output += chunk.toString())
    child.stdout.on('data', collect)
    child.stderr.on('data', collect)
    stopWhenDone(t, child)
    // Ready once it says where it listens (a busy machine starts Python slowly).
    await within(PATIENCE_MS * 2, () => {
      if (child.exitCode !== null) throw new Error(`the Flask app exited with ${child.exitCode}: ${output}`)
      return output.includes(`listening on ${base}`)
    }).catch((error: Error) => {
      throw new Error(`${error.message}: the Flask app did not start: ${output}`)
    })

    const browser = new Browser()
    const signIn = await browser.visit(`${base}/login`, `${server.base}/login?`)
    t.equal(`${signIn.url.origin}${signIn.url.pathname}`, `${server.base}/login`, 'signed out: our sign-in page')
    const next = signIn.url.searchParams.get('next')!
    const home = await browser.visit(
      `${server.base}/login/test/as?who=Nora&next=${encodeURIComponent(next)}`,
      'http://never/',
    )
    t.equal(home.url.href, `${base}/`, `back on the app (${output.slice(-300)})`)
    const page = await home.response!.text()
    t.match(page, /<p id="name">Nora<\/p>/, 'the name from the ID token Authlib validated')
    t.match(page, /<p id="handle">Nora<\/p>/, 'the handle')
    t.match(page, /<p id="email">nora@example\.org<\/p>/, 'the vouched address (scope email)')
    t.match(page, /<p id="groups">wiki\/editors<\/p>/, 'the groups inside its namespace, and no others')

    await groups.membership.grant(nora.id, 'wiki/admins')
    const refreshed = await browser.visit(`${base}/refresh`, 'http://never/')
    t.equal(refreshed.url.href, `${base}/`)
    t.match(
      await refreshed.response!.text(),
      /<p id="groups">wiki\/admins,wiki\/editors<\/p>/,
      'a refresh, then userinfo: the groups as they are now',
    )

    const signedOut = await browser.fetch(`${server.base}/login/logout`, { method: 'POST' })
    t.equal(signedOut.status, 200, 'Nora signs out at the login server (another tab, say)')
    const refused = await browser.visit(`${base}/refresh`, 'http://never/')
    t.equal(refused.response?.status, 401)
    t.match(await refused.response!.text(), /<p id="refused">Signed out: the login server refused \(invalid_grant\)/)
    t.match(await (await browser.visit(`${base}/`)).response!.text(), /id="signed-out"/, 'and the app forgot her')
  },
)
