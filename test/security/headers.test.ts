// Pages that could be framed (revoke, delete, accept) or run injected script, and invitation URLs leaking
// through Referer: the headers every answer carries.
import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { startApp } from '../helpers/app.js'
import { openLink } from '../helpers/invitations.js'

const templates = fileURLToPath(new URL('../../templates/', import.meta.url))

function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(';')
      .map(part => part.trim().split(/\s+/))
      .filter(words => words[0])
      .map(([name, ...values]) => [name!, values]),
  )
}

t.test('every page is unframeable, sniff-proof and runs only this server’s own scripts and styles', async t => {
  const { app, signIn } = await startApp(t)
  const cookie = await signIn('alice')
  for (const url of [
    '/login',
    '/login/view/sessions',
    '/login/view/delete',
    '/login/access/view/invite',
    '/login/nope',
  ]) {
    const response = await app.inject({ url, headers: { cookie, accept: 'text/html' } })
    const csp = directives(String(response.headers['content-security-policy']))
    t.same(csp.get('frame-ancestors'), ["'none'"], `${url}: frame-ancestors 'none'`)
    t.same(csp.get('script-src'), ["'self'"], `${url}: scripts from this server only, none inline`)
    t.same(csp.get('style-src'), ["'self'"], `${url}: styles from this server only, none inline`)
    t.same(csp.get('object-src'), ["'none'"], `${url}: no plugins`)
    t.equal(response.headers['x-frame-options'], 'DENY', `${url}: X-Frame-Options`)
    t.equal(response.headers['x-content-type-options'], 'nosniff', `${url}: nosniff`)
    t.equal(response.headers['referrer-policy'], 'same-origin', `${url}: URLs stay on this site`)
  }
  const json = await app.inject({ url: '/login/me', headers: { cookie } })
  t.equal(json.headers['x-content-type-options'], 'nosniff', 'JSON answers too')
  // Forward-auth answers go to the proxy, which passes none of their headers to the browser (docs/security.md, "Security").
  const check = await app.inject({ url: '/login/check', headers: { cookie } })
  t.equal(check.statusCode, 200, 'the check passes')
  t.notOk(check.headers['content-security-policy'], 'and carries no page headers: only a proxy reads it')
})

t.test('an invitation page sends no Referer at all: its URL is the invitation', async t => {
  const { app, signIn } = await startApp(t)
  const { owner } = await app.ctx.groups.tree.ensureNamespace('club', 'test', 'boss')
  const link = await app.ctx.groups.invitations.create(owner.id, openLink('club', { confirm: true }))
  const cookie = await signIn('guest')
  for (const url of [
    `/login/access/accept/${link.code}`,
    `/login/access/qr/accept/${link.id}`,
    `/login/access/qr/img/${link.code}`,
  ]) {
    const response = await app.inject({ url, headers: { cookie } })
    t.equal(response.statusCode, 200, url)
    t.equal(response.headers['referrer-policy'], 'no-referrer', url)
  }
})

t.test('no template holds inline script, inline style or event handlers', async t => {
  for (const file of readdirSync(templates).filter(f => f.endsWith('.html'))) {
    const html = readFileSync(templates + file, 'utf8')
    t.notMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, `${file}: no inline <script>`)
    t.notMatch(html, /<style[\s>]/i, `${file}: no <style>`)
    t.notMatch(html, /\sstyle\s*=/i, `${file}: no style= attribute`)
    t.notMatch(html, /\son[a-z]+\s*=/i, `${file}: no on…= handler`)
  }
})
