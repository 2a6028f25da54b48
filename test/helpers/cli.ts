import { main } from '../../src/cli/index.js'

/**
 * Runs `modular-login <argv>` in this process, as an operator would at a
 * shell, configured by the LOGIN_* variables `env` (only while it runs);
 * answers its exit code and what it printed on each stream.
 */
export async function runCli(
  env: Record<string, string>,
  ...argv: string[]
): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = []
  const err: string[] = []
  const write = { out: process.stdout.write, err: process.stderr.write }
  const settings = { LOGIN_LOG_LEVEL: 'silent', ...env }
  Object.assign(process.env, settings)
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
    for (const name of Object.keys(settings)) delete process.env[name]
  }
}
