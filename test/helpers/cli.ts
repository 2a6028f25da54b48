import { main } from '../../src/cli/index.js'

/** Runs the CLI against `runDir` and captures what it prints. */
export async function cli(runDir: string, ...argv: string[]) {
  const out: string[] = []
  const err: string[] = []
  const write = { out: process.stdout.write, err: process.stderr.write }
  process.env.LOGIN_RUN_DIR = runDir
  process.env.LOGIN_LOG_LEVEL = 'silent'
  process.stdout.write = ((chunk: string) => {
    out.push(String(chunk))
    return true
  }) as typeof process.stdout.write
  process.stderr.write = ((chunk: string) => {
    err.push(String(chunk))
    return true
  }) as typeof process.stderr.write
  try {
    const code = await main(argv)
    return { code, out: out.join(''), err: err.join('') }
  } finally {
    process.stdout.write = write.out
    process.stderr.write = write.err
    delete process.env.LOGIN_RUN_DIR
    delete process.env.LOGIN_LOG_LEVEL
  }
}
