// What the server and the CLI say when they cannot start ends up in terminals, service logs and bug reports:
// it must name what is wrong and where, and never quote a secret (a client secret in a malformed
// credentials.json, a database password in LOGIN_CONFIG or LOGIN_DATABASE).
import t, { type Test } from 'tap'
import { chmodSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import { freePort, tempDir } from '../helpers/app.js'
import { SUPERUSER, startPostgres } from '../helpers/postgres.js'
import { PATIENCE_MS, runTs, within } from '../helpers/realtime.js'

const SECRET = 'Sup3rS3cretValue'

/**
 * The server (`node dist/main.js` as server.sh runs it) or a CLI command, in a process of its own, with `env`;
 * one that starts after all is stopped after a while (and fails for not having exited 1).
 */
const programs = {
  server: (env: Record<string, string>) => runTs('../../src/main.ts', [], env, PATIENCE_MS),
  cli: (env: Record<string, string>) => runTs('../nodes/cli.ts', ['user', 'delete', 'test:nobody'], env, PATIENCE_MS),
}

/** A start refused: exit 1, one line on stderr naming the problem, no stack, no secret in any form. */
function refusedCleanly(
  t: Test,
  run: { code: number | null; stdout: string; stderr: string },
  says: RegExp,
  secrets: string[],
): void {
  const lines = run.stderr.trim().split('\n')
  t.equal(run.code, 1, `exit 1 (${run.stderr.trim()})`)
  t.match(lines[lines.length - 1], says, 'says what is wrong and where')
  t.notOk(/^\s+at /m.test(run.stderr), 'no stack trace')
  // Not even a piece of it: V8's parse errors quote a few characters around the mistake.
  const output = `${run.stdout}${run.stderr}`
  for (const secret of secrets) {
    const pieces = Array.from({ length: secret.length - 5 }, (_, i) => secret.slice(i, i + 6))
    t.same(
      pieces.filter(piece => output.includes(piece)),
      [],
      `no piece of the secret is quoted (${secret.slice(0, 4)}…)`,
    )
  }
}

/** A file written as a user would, with `mode`. */
function file(t: Test, name: string, content: string, mode = 0o600): string {
  const path = join(tempDir(t), name)
  writeFileSync(path, content)
  chmodSync(path, mode)
  return path
}

/**
 * Makes the test cluster ask every role but the tests' superuser for its password over TCP (it trusts loopback
 * otherwise), as a production server does, and gives the role `login` one: the server's own pg_hba.conf is
 * rewritten through COPY and reloaded.
 */
async function requirePasswords(superuserUrl: string): Promise<void> {
  const admin = new pg.Client(superuserUrl)
  await admin.connect()
  try {
    await admin.query(`CREATE ROLE login LOGIN PASSWORD 'the-right-one'`)
    const hba = (await admin.query<{ hba_file: string }>('SHOW hba_file')).rows[0]!.hba_file
    const lines = [
      'local all all trust',
      `host all ${SUPERUSER} 127.0.0.1/32 trust`,
      'host all all 127.0.0.1/32 scram-sha-256',
    ]
    // COPY takes no parameters: the lines are this file's own, the path the server's own answer.
    const values = lines.map(line => `('${line}')`).join(', ')
    await admin.query(`COPY (VALUES ${values}) TO '${hba.replaceAll("'", "''")}'`)
    await admin.query('SELECT pg_reload_conf()')
  } finally {
    await admin.end()
  }
  // The reload is asynchronous: wait until the password is asked for.
  await within(PATIENCE_MS, async () => {
    const probe = new pg.Client(superuserUrl.replace(`${SUPERUSER}@`, 'login:wrong@'))
    try {
      await probe.connect()
      await probe.end()
      return false
    } catch (error) {
      return (error as { code?: string }).code === '28P01'
    }
  })
}

const base = (t: Test) => ({ LOGIN_RUN_DIR: tempDir(t), LOGIN_PORT: '0', LOGIN_HOST: '127.0.0.1' })

t.test('a malformed credentials.json: its line and column, not its content', async t => {
  for (const [what, content, where] of [
    [
      'a stray character after the secret',
      `{\n  "github": {"id": "x", "secret": "${SECRET}" x}\n}`,
      /line 2, column 54/,
    ],
    [
      'a secret left unquoted',
      `{\n  "github": {\n    "id": "x",\n    "secret": ${SECRET}\n  }\n}`,
      /line 4, column 15/,
    ],
    ['a secret left unterminated', `{"github": {"id": "x", "secret": "${SECRET}`, /line 1, column 34/],
  ] as const) {
    const path = file(t, 'credentials.json', content)
    const run = await programs.server({ ...base(t), LOGIN_CREDENTIALS: path })
    t.test(what, async t => refusedCleanly(t, run, new RegExp(`${path}.*not valid JSON.*${where.source}`), [SECRET]))
  }
})

t.test('a credentials.json that other users may read or write is refused, with the command that fixes it', async t => {
  for (const mode of [0o644, 0o640, 0o620, 0o606]) {
    const path = file(t, 'credentials.json', JSON.stringify({ github: { id: 'x', secret: SECRET } }), mode)
    const run = await programs.server({ ...base(t), LOGIN_CREDENTIALS: path })
    t.test(`mode ${mode.toString(8)}`, async t =>
      refusedCleanly(t, run, new RegExp(`${path}.*other users.*chmod 600 ${path}`), [SECRET]),
    )
  }
})

t.test('a malformed LOGIN_CONFIG: its line and column, not its content', async t => {
  const url = `postgres://login:${SECRET}@db.example.org/login`
  const path = file(t, 'login.json', `{\n  "database": "${url}"\n  "debug": true\n}`)
  const run = await programs.server({ ...base(t), LOGIN_CONFIG: path })
  refusedCleanly(t, run, new RegExp(`LOGIN_CONFIG ${path}.*not valid JSON.*line 3, column 3`), [SECRET])
})

t.test('a database URL that cannot be used: one line, without its password', async t => {
  const cluster = await startPostgres(t)
  const unreachable = `postgres://login:${SECRET}@127.0.0.1:${await freePort()}/login`
  const cases: [string, string, RegExp][] = [
    ['not a URL', `postgres://login:${SECRET}@db.example.org:port/login`, /LOGIN_DATABASE must be a postgres:\/\/ URL/],
    [
      'a password with an @ left unencoded',
      `postgres://login:Sup3r@${SECRET}@127.0.0.1:${await freePort()}/login`,
      /LOGIN_DATABASE postgres:\/\/login:…@127\.0\.0\.1:\d+\/login cannot be used: .*ECONNREFUSED/,
    ],
    ['a server that is not there', unreachable, /LOGIN_DATABASE .*127\.0\.0\.1.*cannot be used: .*ECONNREFUSED/],
    [
      'a host that does not exist',
      `postgres://login:${SECRET}@no-such-host.invalid/login`,
      /LOGIN_DATABASE .*ENOTFOUND/,
    ],
  ]
  if (typeof cluster !== 'string') {
    const url = new URL(await cluster.createDatabase())
    await requirePasswords(cluster.url)
    cases.push([
      'a wrong password',
      `postgres://login:${SECRET}@${url.host}${url.pathname}`,
      /LOGIN_DATABASE .*cannot be used: password authentication failed for user "login"/,
    ])
  }
  for (const [what, database, says] of cases) {
    for (const [program, run] of Object.entries(programs)) {
      const result = await run({ ...base(t), LOGIN_DATABASE: database })
      t.test(`${what}: ${program}`, async t => refusedCleanly(t, result, says, [SECRET, encodeURIComponent(SECRET)]))
    }
  }
})
