// Namespace squatting: an app's credentials create a namespace nobody has made yet (`grafana`) and grant
// someone a role in it; when the admin then follows the Grafana recipe, that role must not reach Grafana's
// `groups` claim. On both storage engines.
import t from 'tap'
import * as client from 'openid-client'
import { serveApp, type ServedApp } from '../helpers/app.js'
import { runAppCommand } from '../helpers/app-command.js'
import { storageEngines } from '../helpers/engines.js'
import { runCli } from '../helpers/cli.js'
import { RawClient } from '../helpers/realtime.js'
import { Browser, REDIRECT_URI, signInTo } from '../oidc/fixture.js'

const { engines, skipped } = await storageEngines(t)
if (skipped) t.comment(`PostgreSQL left out: ${skipped}`)

/** `modular-login <args>` as an operator runs it, on the server's database; answers its exit code and output. */
function cli(server: ServedApp, ...args: string[]) {
  const { database, runDir } = server.config
  return runCli({ LOGIN_RUN_DIR: runDir, ...(database ? { LOGIN_DATABASE: database } : {}) }, ...args)
}

/** `app add` as an operator runs it, then openid-client pointed at the new client. */
async function oidcClient(server: ServedApp, ...args: string[]) {
  const [line] = await runAppCommand(server.app.ctx, 'add', ...args, '--redirect-uri', REDIRECT_URI)
  const printed = JSON.parse(line!) as { id: string; secret: string; issuer: string }
  const rp = await client.discovery(
    new URL(printed.issuer),
    printed.id,
    undefined,
    client.ClientSecretBasic(printed.secret),
    { execute: [client.allowInsecureRequests] },
  )
  return { ...printed, rp }
}

for (const { engine, serverSettings } of engines) {
  t.test(`${engine}: another app's namespace is not handed over silently`, async t => {
    const server = await serveApp(t, await serverSettings())
    const { ctx } = server.app
    const squatter = (await RawClient.hello(server.base, await ctx.apps.add('squatter'))).client
    t.teardown(() => squatter.close())
    const mallory = await server.signIn('mallory')
    const malloryId = (await ctx.users.findByIdentity('test', 'mallory'))!.id

    t.match(await squatter.request({ type: 'ensure', path: 'grafana', owner: 'test:mallory' }), { type: 'ensured' })
    t.match(
      await squatter.request({ type: 'grant', user: malloryId, path: 'grafana/admins', deauthorizes: 2 }),
      { type: 'granted' },
      'the squatter takes a namespace nobody has made yet, and a role in it',
    )

    // The admin follows the Grafana recipe as it was.
    const grafana = await oidcClient(server, 'grafana')
    await t.rejects(
      runAppCommand(ctx, 'allow', 'grafana', 'grafana'),
      { code: 'LOGIN_ERR_CONFLICT', message: /app squatter .*grafana\/admins/ },
      'app allow refuses a namespace another app created and granted in, naming the app and what it granted',
    )
    t.same(await ctx.groups.appScope.namespacesOf(grafana.id), [], 'grafana got nothing')
    t.same(
      (await signInTo(grafana, new Browser(mallory))).claims()!.groups,
      [],
      "the squatter's role is not in Grafana's groups claim",
    )

    const refused = await cli(server, 'app', 'allow', 'grafana', 'grafana')
    t.equal(refused.code, 1, 'the command exits 1')
    t.match(refused.err, /app squatter .*grafana\/admins/, 'and says which app is in the way, and what it granted')

    const [took] = await runAppCommand(ctx, 'allow', 'grafana', 'grafana', '--take-over')
    t.match(took, /took over .*grafana.* ended 2 memberships .*squatter/, 'says how many memberships it ended')
    t.notOk(await ctx.groups.membership.isMember(malloryId, 'grafana/admins'), "the squatter's grants are gone")
    t.same((await signInTo(grafana, new Browser(mallory))).claims()!.groups, [])
    t.match(
      await squatter.request({ type: 'grant', user: malloryId, path: 'grafana/admins' }),
      { type: 'error', code: 'LOGIN_ERR_FORBIDDEN' },
      'and the squatter no longer manages the namespace',
    )
    const bob = await server.signIn('bob')
    await ctx.groups.membership.grant((await ctx.users.findByIdentity('test', 'bob'))!.id, 'grafana/admins')
    t.same(
      (await signInTo(grafana, new Browser(bob))).claims()!.groups,
      ['grafana/admins'],
      "what the admin grants reaches Grafana's claim",
    )

    // The recipe now claims the namespace at registration.
    const gitea = await oidcClient(server, 'gitea', '--namespace', 'gitea')
    t.match(
      await ctx.groups.appScope.namespacesOf(gitea.id),
      [{ namespace: 'gitea', kind: 'claimed' }],
      'app add --namespace claims a namespace that does not exist yet',
    )
    t.match(
      await squatter.request({ type: 'ensure', path: 'gitea', owner: 'test:mallory' }),
      { type: 'error', code: 'LOGIN_ERR_FORBIDDEN' },
      'nobody else may create a namespace claimed before it exists',
    )
    await t.rejects(runAppCommand(ctx, 'add', 'copycat', '--namespace', 'gitea'), {
      code: 'LOGIN_ERR_CONFLICT',
      message: /gitea/,
    })
    await t.rejects(
      runAppCommand(ctx, 'add', 'latecomer', '--namespace', 'grafana'),
      { code: 'LOGIN_ERR_CONFLICT', message: /grafana/ },
      'a namespace that exists is not claimed at registration',
    )
    t.same(
      (await ctx.apps.list()).map(app => app.name),
      ['gitea', 'grafana', 'squatter'],
      'a refused registration registers nothing',
    )
    await t.rejects(
      runAppCommand(ctx, 'allow', 'squatter', 'gitea'),
      { code: 'LOGIN_ERR_CONFLICT', message: /app gitea claimed/ },
      'nor is a claimed namespace allowed to another app',
    )
  })
}
