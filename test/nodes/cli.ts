// The CLI in a process of its own, as an operator runs it (`npx modular-login …`), configured by LOGIN_* variables.
import { main } from '../../src/cli/index.js'

process.exitCode = await main(process.argv.slice(2))
