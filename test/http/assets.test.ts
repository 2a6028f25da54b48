import t from 'tap'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { startApp } from '../helpers/app.js'

t.test('the stylesheet, icon and scripts are served with long caching under versioned URLs', async t => {
  const { app } = await startApp(t)
  const page = await app.inject({ url: '/login', headers: { accept: 'text/html' } })
  const types: Record<string, RegExp> = {
    'site.css': /^text\/css/,
    'favicon.svg': /^image\/svg\+xml/,
    'local-time.js': /javascript/,
    'auto-submit.js': /javascript/,
    'passkeys.js': /javascript/,
  }
  for (const [name, type] of Object.entries(types)) {
    const version = createHash('sha256')
      .update(readFileSync(new URL(`../../static/${name}`, import.meta.url)))
      .digest('base64url')
      .slice(0, 12)
    const url = `/login/static/${name}?v=${version}`
    t.match(page.body, `"${url}"`, `${name}: the page links it with its content hash`)
    const response = await app.inject({ url })
    t.equal(response.statusCode, 200, name)
    t.match(response.headers['content-type'], type, `${name}: type`)
    t.match(response.headers['cache-control'], /max-age=31536000/, `${name}: kept a year`)
    t.match(response.headers['cache-control'], /immutable/)
  }
})

t.test(
  "the passkey pages' scripts: @simplewebauthn/browser's bundle as a file of this server, and their own",
  async t => {
    const { app } = await startApp(t)
    const page = await app.inject({ url: '/login', headers: { accept: 'text/html' } })
    const bundle = readFileSync(
      new URL('../../node_modules/@simplewebauthn/browser/dist/bundle/index.umd.min.js', import.meta.url),
    )
    const version = createHash('sha256').update(bundle).digest('base64url').slice(0, 12)
    const url = `/login/static/webauthn.js?v=${version}`
    t.match(page.body, `<script src="${url}" defer></script>`, 'linked with its content hash, no inline script')
    t.ok(page.body.indexOf(url) < page.body.indexOf('/login/static/passkeys.js?v='), 'before the script that uses it')
    const response = await app.inject({ url })
    t.equal(response.statusCode, 200)
    t.match(response.headers['content-type'], /^text\/javascript/)
    t.match(response.headers['cache-control'], /max-age=31536000/)
    t.match(response.headers['cache-control'], /immutable/)
    t.same(response.rawPayload, bundle, 'the package file itself')
    t.match(response.headers['content-security-policy'], "script-src 'self'")
  },
)

t.test('nothing else is served from there', async t => {
  const { app } = await startApp(t)
  for (const url of [
    '/login/static/',
    '/login/static/nope.css',
    '/login/static/../package.json',
    '/login/static/%2e%2e/package.json',
  ]) {
    const response = await app.inject({ url })
    t.equal(response.statusCode, 404, url)
    t.match(response.json(), { code: 'LOGIN_ERR_NOT_FOUND' }, url)
  }
})
