// `npm test`: the type check and build (test/setup/build.mjs), then tap with coverage, while the linters
// (`npm run lint`) run beside both. Each of them keeps one core busy at best; side by side on a two-core machine
// the linters take no time of their own. The linters' output is held back and printed after tap's when they
// found something, so that tap's report reads as it always does; the run fails if either fails.
import { spawn } from 'node:child_process'

/** Runs a command to its end; answers its exit code (1 for a signal). */
function run(command, args) {
  return new Promise(resolve => {
    const child = spawn(command, args, { stdio: 'inherit' })
    child.on('error', error => {
      console.error(`${command}: ${error.message}`)
      resolve(1)
    })
    child.on('exit', code => resolve(code ?? 1))
  })
}

let lintOutput = ''
const linter = spawn('npm', ['run', '--silent', 'lint'], { stdio: ['ignore', 'pipe', 'pipe'] })
linter.stdout.on('data', chunk => (lintOutput += chunk))
linter.stderr.on('data', chunk => (lintOutput += chunk))
const linted = new Promise(resolve => linter.on('exit', code => resolve(code ?? 1)))

const built = await run('npm', ['run', '--silent', 'typecheck'])
if (built !== 0) {
  linter.kill()
  process.exit(built)
}
// Run by npm, PATH holds node_modules/.bin.
const tested = await run('tap', process.argv.slice(2))
const lintCode = await linted
if (lintCode !== 0) process.stdout.write(`\n${lintOutput.trimEnd()}\n`)
console.log(
  lintCode === 0 ? 'lint: eslint and prettier found nothing' : `lint: failed (npm run lint exited ${lintCode})`,
)
process.exit(tested !== 0 ? tested : lintCode)
