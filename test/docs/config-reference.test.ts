// The configuration reference of docs/operating.md is the settings table of src/config.ts, written out by
// `npm run docs:config`: a setting added, renamed or re-explained in one place and not the other fails here.
import t from 'tap'
import { loadConfig, settingsReference } from '../../src/config.js'
import { configReference, withConfigReference } from '../../scripts/config-reference.js'
import { page } from './markdown.js'

t.test('docs/operating.md shows the settings table of src/config.ts (else run `npm run docs:config`)', async t => {
  const { text } = page('docs/operating.md')
  t.equal(text, withConfigReference(text), 'the page as `npm run docs:config` would write it')
  t.ok(text.includes(configReference()), 'the page holds the whole table')
})

t.test('every setting is documented, under a variable of its own', async t => {
  const reference = settingsReference()
  t.same(
    reference.map(s => s.name).sort(),
    Object.keys(loadConfig({}))
      .map(key => key.replace(/[A-Z]/g, c => '_' + c.toLowerCase()))
      .sort(),
    'one row per field of the configuration',
  )
  t.equal(new Set(reference.map(s => s.env)).size, reference.length, 'no variable names two settings')
  for (const s of reference) {
    t.match(s.env, /^LOGIN_[A-Z0-9_]+$/, `${s.name}: its variable`)
    t.ok(s.doc.length > 10 && !s.doc.includes('\n'), `${s.name}: one line says what it does`)
    t.ok(s.default.length > 0, `${s.name}: its default is shown`)
  }
})

t.test('the defaults shown are the defaults loaded', async t => {
  const shown = new Map(settingsReference().map(s => [s.name, s.default]))
  const loaded = loadConfig({})
  t.equal(shown.get('port'), `\`${loaded.port}\``)
  t.equal(shown.get('lease_seconds'), `\`${loaded.leaseSeconds}\``)
  t.equal(shown.get('log_level'), `\`${loaded.logLevel}\``)
  t.equal(shown.get('debug'), 'off', 'false is off')
  t.equal(shown.get('memcached'), 'none', 'an empty list is none')
  t.equal(shown.get('public_url'), '`http://localhost:<port>`', 'a default computed from another says how')
})

t.test('a page without the markers is refused rather than written blindly', async t => {
  t.throws(() => withConfigReference('# A page\n'), /has no <!-- settings:begin/)
})
