import { readFileSync } from 'node:fs'
import { userInfo } from 'node:os'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { parse as parseYaml, stringify as toYaml } from 'yaml'
import type { AppContext } from '../context.js'
import { errors } from '../errors.js'
import { findAccount } from '../auth/identity.js'
import { requestHost, requestPath } from '../rules/request-path.js'
import type { AccessRule, RuleEvent, RuleSpec } from '../storage/access-rules.js'
import type { ImportPlan } from '../rules/import-plan.js'
import { checkRule, describeRule, ruleInput } from '../rules/rule-spec.js'
import type { RuleChanger } from '../rules/service.js'

const RULE_USAGE =
  "rule add <host> [<path>] --allow '<expression>' | --public | --deny [--methods GET,HEAD] [--require-passkey] " +
  '[--before <id>] | rule list | rule move <id> --before <id> | rule remove <id> | ' +
  'rule test <url> [--user <id>] [--method <method>] | rule export [--json] | rule import <file> [--yes] | ' +
  'rule log [--limit <n>]'
const USAGE = `usage: modular-login ${RULE_USAGE}`

type Print = (line: string) => void

/** Options and positionals of one subcommand; a malformed command line is `LOGIN_ERR_BAD_REQUEST` with the usage. */
function parse<O extends ParseArgsConfig['options']>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: true })
  } catch (error) {
    throw new errors.BadRequest(`${(error as Error).message}; ${USAGE}`)
  }
}

function ruleId(text: string | undefined, what = 'a rule id'): number {
  if (text === undefined || !/^\d{1,15}$/.test(text)) throw new errors.BadRequest(`expected ${what}; ${USAGE}`)
  return Number(text)
}

/** Who runs the CLI, for the audit log: the administrator, named by the account they run it from. */
function cliChanger(source?: string): RuleChanger {
  let user = 'unknown'
  try {
    user = userInfo().username
  } catch {
    // A user id without a name (a container's): the log still says the change came from the command line.
  }
  return { actor: `cli (user ${user})`, ...(source === undefined ? {} : { source }) }
}

function listing(rule: AccessRule): string {
  return `${String(rule.position).padStart(4)}  [${rule.id}]  ${describeRule(rule)}`
}

/**
 * `rule …`: the access rules of forward-auth (docs/forward-auth.md,
 * "Access rules"). Every change is made in one transaction, recorded in
 * the audit log with who ran the command, and reaches every node through
 * the revocation feed.
 */
export async function ruleCommand(args: string[], ctx: AppContext, print: Print): Promise<void> {
  const [action, ...rest] = args
  const { rules } = ctx
  switch (action) {
    case 'add': {
      const { values, positionals } = parse(rest, {
        allow: { type: 'string' },
        public: { type: 'boolean' },
        deny: { type: 'boolean' },
        methods: { type: 'string' },
        'require-passkey': { type: 'boolean' },
        before: { type: 'string' },
      })
      const [host, path, ...extra] = positionals
      if (extra.length > 0) throw new errors.BadRequest(`unexpected ${JSON.stringify(extra[0])}; ${USAGE}`)
      const spec = checkRule({
        host,
        path,
        methods: values.methods,
        allow: values.allow,
        public: values.public,
        deny: values.deny,
        require_passkey: values['require-passkey'],
      })
      const before = values.before === undefined ? undefined : ruleId(values.before, 'a rule id after --before')
      const rule = await rules.add(spec, cliChanger(), before)
      print(`added rule ${rule.id} at position ${rule.position}: ${describeRule(rule)}`)
      return
    }
    case 'list': {
      parse(rest, {})
      const list = await rules.list()
      if (list.length === 0) print('no rules')
      for (const rule of list) print(listing(rule))
      print(`no rule matches: ${ctx.config.defaultRule} (LOGIN_DEFAULT_RULE)`)
      return
    }
    case 'move': {
      const { values, positionals } = parse(rest, { before: { type: 'string' } })
      if (positionals.length !== 1) throw new errors.BadRequest(USAGE)
      const rule = await rules.move(
        ruleId(positionals[0]),
        ruleId(values.before, 'a rule id after --before'),
        cliChanger(),
      )
      print(`moved rule ${rule.id} to position ${rule.position}`)
      return
    }
    case 'remove': {
      const { positionals } = parse(rest, {})
      if (positionals.length !== 1) throw new errors.BadRequest(USAGE)
      const rule = await rules.remove(ruleId(positionals[0]), cliChanger())
      print(`removed rule ${rule.id}: ${describeRule(rule)}`)
      return
    }
    case 'test':
      return testCommand(rest, ctx, print)
    case 'export': {
      const { values, positionals } = parse(rest, { json: { type: 'boolean' } })
      if (positionals.length > 0) throw new errors.BadRequest(USAGE)
      const file = { rules: (await rules.list()).map(ruleInput) }
      if (values.json) print(JSON.stringify(file, null, 2))
      else print(`# Access rules of modular-login: tried in order, the first that matches decides.\n${toYaml(file)}`)
      return
    }
    case 'import': {
      const { values, positionals } = parse(rest, { yes: { type: 'boolean' } })
      if (positionals.length !== 1) throw new errors.BadRequest(USAGE)
      const file = positionals[0]!
      const specs = readRuleFile(file)
      if (!values.yes) {
        const plan = await rules.plan(specs)
        printPlan(plan, print)
        if (changes(plan) > 0) print('nothing changed yet: run again with --yes to apply')
        return
      }
      const plan = await rules.import(specs, cliChanger(file))
      printPlan(plan, print)
      if (changes(plan) > 0) print(`applied: ${specs.length} rules in force`)
      return
    }
    case 'log': {
      const { values, positionals } = parse(rest, { limit: { type: 'string' } })
      if (positionals.length > 0) throw new errors.BadRequest(USAGE)
      const limit = values.limit === undefined ? 50 : ruleId(values.limit, 'a number after --limit')
      for (const event of await rules.events(limit)) print(eventLine(event))
      return
    }
    default:
      throw new errors.BadRequest(USAGE)
  }
}

function changes(plan: ImportPlan): number {
  return plan.added.length + plan.removed.length + plan.moved.length
}

/** The difference an import makes, one line a rule: `+` added, `-` removed, `~` moved. */
function printPlan(plan: ImportPlan, print: Print): void {
  if (changes(plan) === 0) {
    print('the rules already are as the file says: nothing to change')
    return
  }
  for (const rule of plan.removed) print(`- [${rule.id}]  ${describeRule(rule)}`)
  for (const rule of plan.moved) print(`~ [${rule.id}]  ${describeRule(rule)}  (moves)`)
  for (const [index, place] of plan.order.entries())
    if (typeof place !== 'number') print(`+ at ${index + 1}  ${describeRule(place)}`)
  print(`${plan.added.length} added, ${plan.removed.length} removed, ${plan.moved.length} moved`)
}

/** The rules of a file `rule export` wrote (YAML, or JSON): all of them checked before any is used. */
export function readRuleFile(file: string): RuleSpec[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new errors.NotFound(`cannot read ${file}: ${(error as Error).message}`)
  }
  let content: unknown
  try {
    content = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text)
  } catch (error) {
    throw new errors.BadRule(
      `${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(error as Error).message}`,
    )
  }
  const list = (content as { rules?: unknown } | null)?.rules
  if (typeof content !== 'object' || content === null || !Array.isArray(list))
    throw new errors.BadRule(`rules: ${file} must hold a list under "rules" (as rule export writes it)`)
  return list.map((rule, i) => checkRule(rule, `rules[${i}].`))
}

function eventLine(event: RuleEvent): string {
  const rule = event.after ?? event.before
  const where = event.action === 'moved' ? ` from position ${event.before?.position} to ${event.after?.position}` : ''
  return [
    new Date(event.created * 1000).toISOString(),
    event.actor,
    `${event.action} rule ${event.ruleId}${where}`,
    rule ? describeRule(rule) : '',
    event.source ? `(from ${event.source})` : '',
  ]
    .filter(Boolean)
    .join('  ')
}

/** `rule test <url> [--user <id>] [--method M]`: which rule a request meets, and what it answers that user. */
async function testCommand(args: string[], ctx: AppContext, print: Print): Promise<void> {
  const { values, positionals } = parse(args, { user: { type: 'string' }, method: { type: 'string' } })
  if (positionals.length !== 1) throw new errors.BadRequest(USAGE)
  let url: URL
  try {
    url = new URL(positionals[0]!)
  } catch {
    throw new errors.BadRequest(`${JSON.stringify(positionals[0])} is not a URL such as https://app.example.org/path`)
  }
  const method = (values.method ?? 'GET').toUpperCase()
  const user = values.user === undefined ? null : await findAccount(ctx.users, values.user)
  const compiled = ctx.rules.matcher.match(requestHost(url.host), method, requestPath(`${url.pathname}${url.search}`))
  print(
    compiled
      ? `rule ${compiled.rule.id} (position ${compiled.rule.position}) matches: ${describeRule(compiled.rule)}`
      : `no rule matches: the default, ${ctx.config.defaultRule} (LOGIN_DEFAULT_RULE)`,
  )
  const outcome = compiled?.rule.outcome ?? (ctx.config.defaultRule === 'deny' ? 'deny' : 'allow')
  const who = user ? `${user.name} (${user.id})` : 'a signed-out visitor'
  if (outcome === 'public') return print('200 for anyone, without a user')
  if (outcome === 'deny') return print('403 for anyone')
  if (!user) return print(`401 for ${who}: sent to sign in`)
  if (!compiled || compiled.expression === null) return print(`200 for ${who}`)
  const judgement = await ctx.groups.membership.judge(user.id, compiled.expression)
  if (!judgement.member) return print(`403 for ${who}: not a member of ${compiled.rule.expression}`)
  const passkey = compiled.rule.requirePasskey ? ', on a session begun with a passkey (403 otherwise)' : ''
  print(`200 for ${who}${passkey}, X-Login-Groups: ${judgement.held.join(',')}`)
}
