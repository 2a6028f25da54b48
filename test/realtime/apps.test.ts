import t from 'tap'
import { createHash } from 'node:crypto'
import { startApp } from '../helpers/app.js'
import { runAppCommand } from '../helpers/app-command.js'

t.test('app add prints the credentials once; only a hash of the secret is stored', async t => {
  const { app } = await startApp(t)
  const [line, ...more] = await runAppCommand(app.ctx, 'add', 'chat')
  t.same(more, [])
  const creds = JSON.parse(line!) as { id: string; secret: string }
  t.same(Object.keys(creds), ['id', 'secret', 'issuer'])
  t.equal((creds as { issuer?: string }).issuer, `${app.ctx.config.publicUrl}/login`, 'the OpenID Provider it may use')
  t.match(creds.id, /^[0-9a-f-]{36}$/)
  t.equal(Buffer.from(creds.secret, 'base64url').length, 32, '32 random bytes')

  const row = (await app.ctx.db.sql.one<Record<string, unknown>>('SELECT * FROM apps WHERE id = ?', [creds.id]))!
  t.notOk(JSON.stringify(row).includes(creds.secret), 'the secret itself is not kept')
  t.same(row.secret_hash, createHash('sha256').update(creds.secret).digest())

  const service = app.ctx.apps
  t.equal((await service.authenticate(creds.id, creds.secret))?.name, 'chat')
  t.equal(
    await service.authenticate(creds.id, creds.secret.slice(0, -1) + (creds.secret.endsWith('A') ? 'B' : 'A')),
    null,
  )
  t.equal(await service.authenticate('someone-else', creds.secret), null)
  t.equal(await service.authenticate(creds.id, undefined), null)
  t.equal(await service.authenticate(creds.id, 'x'.repeat(10_000)), null)
})

t.test('app list and app remove', async t => {
  const { app } = await startApp(t)
  await runAppCommand(app.ctx, 'add', 'b-app')
  const a = JSON.parse((await runAppCommand(app.ctx, 'add', 'a.app'))[0]!) as { id: string; secret: string }
  const listed = await runAppCommand(app.ctx, 'list')
  t.equal(listed.length, 2)
  t.match(listed[0], /^a\.app\t[0-9a-f-]{36}\tcreated \d{4}-\d\d-\d\dT.*\tlast seen never\tnamespaces none$/)
  t.match(listed[1], /^b-app\t/)

  const head = await app.ctx.revocations.head()
  t.match(
    (await runAppCommand(app.ctx, 'remove', 'a.app'))[0],
    /^removed app a\.app \(.*\); its connections are closed$/,
  )
  t.match(
    await app.ctx.revocations.since(head),
    [{ kind: 'app', subject: a.id }],
    'every process hears of it through the log',
  )
  t.equal(await app.ctx.apps.authenticate(a.id, a.secret), null)
  t.same(
    (await runAppCommand(app.ctx, 'list')).map(l => l.split('\t')[0]),
    ['b-app'],
  )
})

t.test('bad input is a clear error', async t => {
  const { app } = await startApp(t)
  await runAppCommand(app.ctx, 'add', 'taken')
  const cases: [string[], string, RegExp][] = [
    [[], 'LOGIN_ERR_BAD_REQUEST', /usage: modular-login app/],
    [['add'], 'LOGIN_ERR_BAD_REQUEST', /usage/],
    [['add', 'a', 'b'], 'LOGIN_ERR_BAD_REQUEST', /usage/],
    [['add', 'has space'], 'LOGIN_ERR_BAD_REQUEST', /app name/],
    [['add', '-leading'], 'LOGIN_ERR_BAD_REQUEST', /app name/],
    [['add', 'x'.repeat(65)], 'LOGIN_ERR_BAD_REQUEST', /app name/],
    [['add', 'taken'], 'LOGIN_ERR_CONFLICT', /already exists/],
    [['remove', 'missing'], 'LOGIN_ERR_NOT_FOUND', /No app named missing/],
    [['frobnicate'], 'LOGIN_ERR_BAD_REQUEST', /usage/],
  ]
  for (const [args, code, message] of cases) {
    await t.rejects(runAppCommand(app.ctx, ...args), { code, message }, args.join(' ') || '(nothing)')
  }
})
