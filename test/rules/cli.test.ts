// `modular-login rule …` as an operator uses it (docs/forward-auth.md, "Access rules"): adding, listing, moving,
// removing and testing rules, keeping them in a file (export, a dry-run import showing the difference, then
// --yes), refusing malformed rules with the field named, and the audit log of every change.
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { AppContext } from '../../src/context.js'
import { ruleCommand } from '../../src/cli/rules.js'
import { startApp } from '../helpers/app.js'
import { runCli } from '../helpers/cli.js'
import { tempDir } from '../helpers/temp-dir.js'
import { PATIENCE_MS, within } from '../helpers/wait.js'

const { app, config, signIn } = await startApp(t)
const { ctx } = app

/** `modular-login rule <args>` on the server's own context; answers the lines printed. */
async function rule(...args: string[]): Promise<string[]> {
  const lines: string[] = []
  await ruleCommand(args, ctx as AppContext, line => lines.push(line))
  return lines
}

/** The ids of the rules in list order. */
async function ids(): Promise<number[]> {
  return (await ctx.rules.list()).map(r => r.id)
}

const dir = tempDir(t)
await signIn('alice')
await ctx.groups.tree.ensureNamespace('staff', 'test', 'alice')
await signIn('bob')

t.test('add, list, test, move, remove', async t => {
  const [added] = await rule('add', 'app.example.org', '/admin', '--allow', 'staff', '--methods', 'get,post')
  t.match(added, /^added rule (\d+) at position 1: app\.example\.org {2}\/admin {2}GET,POST {2}allow staff$/)
  const admin = Number(/rule (\d+)/.exec(added!)![1])
  await rule('add', '*.example.org', '--public')
  const [denied] = await rule('add', 'app.example.org', '--deny', '--before', String(admin))
  const deny = Number(/rule (\d+)/.exec(denied!)![1])
  const listed = await rule('list')
  t.match(listed[0], new RegExp(`^ +1 {2}\\[${deny}\\] {2}app\\.example\\.org {2}/ {2}any method {2}deny$`))
  t.match(listed[1], new RegExp(`^ +2 {2}\\[${admin}\\]`))
  t.equal(listed.at(-1), 'no rule matches: signed-in (LOGIN_DEFAULT_RULE)')

  t.match((await rule('test', 'https://app.example.org/admin/users'))[0], `rule ${deny} (position 1) matches`)
  t.same(await rule('move', String(admin), '--before', String(deny)), [`moved rule ${admin} to position 1`])
  const [matched, answer] = await rule('test', 'https://app.example.org/admin/users', '--user', 'test:alice')
  t.match(matched, `rule ${admin} (position 1) matches`)
  t.match(answer, /^200 for alice \(.*\), X-Login-Groups: staff$/)
  t.match((await rule('test', 'https://app.example.org/admin', '--user', 'test:bob'))[1], '403 for bob')
  t.match((await rule('test', 'https://app.example.org/admin'))[1], '401 for a signed-out visitor')
  t.match(await rule('test', 'https://app.example.org/admin', '--method', 'DELETE'), [
    `rule ${deny} `,
    '403 for anyone',
  ])
  t.match(await rule('test', 'https://x.example.org/'), [/matches: \*\.example\.org/, '200 for anyone, without a user'])
  t.match(await rule('test', 'https://elsewhere.net/', '--user', 'test:bob'), ['no rule matches', '200 for bob'])

  t.match(await rule('remove', String(deny)), [`removed rule ${deny}: app.example.org`])
  t.equal((await ctx.rules.list()).length, 2)
  await t.rejects(rule('remove', String(deny)), { code: 'LOGIN_ERR_NOT_FOUND' })
  await t.rejects(rule('move', String(admin), '--before', '999999'), { code: 'LOGIN_ERR_NOT_FOUND' })

  const log = await rule('log')
  t.match(
    log[0],
    new RegExp(`cli \\(user .+\\) {2}removed rule ${deny} {2}app\\.example\\.org`),
    'newest first, naming who',
  )
  t.match(log[1], `moved rule ${admin} from position 2 to 1`)
  t.equal(log.length, 5)
})

t.test(
  'export, then a file kept in git: the import shows the difference first and applies it only with --yes',
  async t => {
    const yaml = join(dir, 'rules.yaml')
    writeFileSync(yaml, (await rule('export')).join('\n'))
    const exported = readFileSync(yaml, 'utf8')
    t.match(exported, /^# Access rules of modular-login/)
    t.match(
      exported,
      /- host: app\.example\.org\n {4}path: \/admin\n {4}methods:\n {6}- GET\n {6}- POST\n {4}allow: staff/,
    )
    t.same(await rule('import', yaml), ['the rules already are as the file says: nothing to change'])

    const before = await ids()
    const edited = exported
      .replace('  - host: "*.example.org"\n    public: true\n', '')
      .concat('  - host: wiki.example.org\n    path: /edit\n    allow: staff\n    require_passkey: true\n')
      .concat('  - host: "*.example.org"\n    deny: true\n')
    writeFileSync(yaml, edited)
    const dry = await rule('import', yaml)
    t.match(dry, [
      /^- \[\d+\] {2}\*\.example\.org {2}\/ {2}any method {2}public$/,
      /^\+ at 2 {2}wiki\.example\.org {2}\/edit {2}any method {2}allow staff {2}with a passkey$/,
      /^\+ at 3 {2}\*\.example\.org/,
      '2 added, 1 removed, 0 moved',
      'nothing changed yet: run again with --yes to apply',
    ])
    t.same(await ids(), before, 'a dry run changes nothing')

    const applied = await rule('import', yaml, '--yes')
    t.equal(applied.at(-1), 'applied: 3 rules in force')
    const after = await ctx.rules.list()
    t.equal(after[0]!.id, before[0], 'an unchanged rule keeps its id')
    t.same(
      after.map(r => [r.position, r.host, r.outcome, r.requirePasskey]),
      [
        [1, 'app.example.org', 'allow', false],
        [2, 'wiki.example.org', 'allow', true],
        [3, '*.example.org', 'deny', false],
      ],
    )
    t.match(await rule('log', '--limit', '3'), [/added rule .*\(from .*rules\.yaml\)$/, /added rule/, /removed rule/])

    // JSON, reordered: the rules that change places are the fewest that must.
    const json = join(dir, 'rules.json')
    const file = JSON.parse((await rule('export', '--json')).join('\n')) as { rules: object[] }
    file.rules.push(file.rules.shift()!)
    writeFileSync(json, JSON.stringify(file))
    t.match(await rule('import', json, '--yes'), [
      /^~ \[\d+\] {2}app\.example\.org .*\(moves\)$/,
      '0 added, 0 removed, 1 moved',
    ])
    t.same(
      (await ctx.rules.list()).map(r => r.host),
      ['wiki.example.org', '*.example.org', 'app.example.org'],
    )
  },
)

t.test('malformed rules are refused with the field named, and a bad file changes nothing', async t => {
  const refusals: [string[], RegExp][] = [
    [['add', 'app.example.org:8080', '--public'], /host: "app\.example\.org:8080" is not .*ports are not part/],
    [['add', '*.', '--public'], /host: "\*\." is not/],
    [['add', 'app.example.org', 'admin', '--public'], /path: "admin" is not a path pattern/],
    [['add', 'app.example.org', '/a/../b', '--public'], /path: .* holds an empty, \. or \.\. segment/],
    [['add', 'app.example.org', '--public', '--deny'], /allow: a rule has exactly one of/],
    [['add', 'app.example.org'], /allow: a rule has exactly one of/],
    [
      ['add', 'app.example.org', '--allow', 'staff &'],
      /allow: Invalid group expression: at position 7: expected a group path/,
    ],
    [['add', 'app.example.org', '--allow', 'a b'], /allow: Invalid group expression/],
    [['add', 'app.example.org', '--public', '--methods', 'GET,no way'], /methods: "no way" is not a method/],
    [['add', 'app.example.org', '--public', '--require-passkey'], /require_passkey: only an allow rule/],
    [['add'], /host: a host pattern is required/],
  ]
  const count = (await ctx.rules.list()).length
  for (const [args, message] of refusals) {
    await t.rejects(rule(...args), { code: 'LOGIN_ERR_BAD_RULE', message }, args.join(' '))
  }
  await t.rejects(rule('add', 'app.example.org', '--public', '--bogus'), { code: 'LOGIN_ERR_BAD_REQUEST' })

  const bad = join(dir, 'bad.yaml')
  writeFileSync(
    bad,
    'rules:\n  - host: ok.example.org\n    public: true\n  - host: x.example.org\n    allow: staff\n    colour: red\n',
  )
  await t.rejects(rule('import', bad, '--yes'), {
    code: 'LOGIN_ERR_BAD_RULE',
    message: /rules\[1\]\.colour: is not a field/,
  })
  writeFileSync(
    bad,
    'rules:\n  - host: ok.example.org\n    public: true\n  - host: x.example.org\n    methods: []\n    deny: true\n',
  )
  await t.rejects(rule('import', bad, '--yes'), { message: /rules\[1\]\.methods: a list of methods/ })
  writeFileSync(bad, 'host: [unclosed\n')
  await t.rejects(rule('import', bad), { code: 'LOGIN_ERR_BAD_RULE', message: /is not valid YAML/ })
  writeFileSync(bad, '- host: a.example.org\n  public: true\n')
  await t.rejects(rule('import', bad), { message: /rules: .* must hold a list under "rules"/ })
  t.equal((await ctx.rules.list()).length, count, 'nothing was added by any of them')
})

t.test('the command line: exit code 1 and the error code on a refusal, the rule in force for the server', async t => {
  const runDir = config.runDir
  const refused = await runCli({ LOGIN_RUN_DIR: runDir }, 'rule', 'add', 'app.example.org', '--allow', '(staff')
  t.equal(refused.code, 1)
  t.match(refused.err, /allow: Invalid group expression: .*\(LOGIN_ERR_BAD_RULE\)/)
  const added = await runCli({ LOGIN_RUN_DIR: runDir }, 'rule', 'add', 'cli.example.net', '--deny')
  t.equal(added.code, 0, added.err)
  // The server hears of it through the revocation feed, as another node would.
  await within(PATIENCE_MS, () => ctx.rules.matcher.match('cli.example.net', 'GET', '/')?.rule.outcome === 'deny')
  t.pass('the server compiled it')
})
