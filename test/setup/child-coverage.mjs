// Node.js processes that a test starts (servers, workers, CLIs, and the processes those start) measure their
// coverage with Node.js's own NODE_V8_COVERAGE instead of tap's @tapjs/processinfo. tap puts processinfo into
// every test process and, through process-on-spawn, into every process started below one; before Node.js 24.13
// its module hooks run on a thread of their own that sees every module load, which doubled the CPU time of each
// start of the server (0.75 CPU-s more, for each of some sixty starts in a run). Node.js's own coverage costs a
// fifth of that. Its reports are written to a folder of the test process's, and when the test process ends they
// are put where tap reads coverage from (.tap/coverage), keeping the files processinfo would have kept.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import processOnSpawn from 'process-on-spawn'

/** processinfo's `--import` in NODE_OPTIONS, as its own process-on-spawn listener adds it. */
const PROCESSINFO_IMPORT = /"?--import=[^\s"]*[\\/]@tapjs[\\/]processinfo[\\/][^\s"]*"?/g

/**
 * From here on, the Node.js processes this one starts run without processinfo, measuring coverage into a folder
 * when tap measures it (`root` is the project, where tap keeps .tap/coverage).
 */
export function measureChildCoverage(root) {
  const measuring = process.env._TAPJS_PROCESSINFO_COVERAGE_ === '1'
  const folder = measuring ? mkdtempSync(join(tmpdir(), 'login-child-coverage-')) : null
  // Listeners run in the order they were added: processinfo's (added when tap loaded it) has run by now.
  processOnSpawn.addListener(child => {
    const options = (child.env.NODE_OPTIONS ?? '').replace(PROCESSINFO_IMPORT, '').trim()
    if (options) child.env.NODE_OPTIONS = options
    else delete child.env.NODE_OPTIONS
    if (folder) child.env.NODE_V8_COVERAGE = folder
  })
  if (folder) process.on('exit', () => collect(folder, root))
}

/** Moves the children's reports into .tap/coverage, each cut down to the scripts tap reports on. */
function collect(folder, root) {
  const covered = coveredFiles(root)
  const into = join(root, '.tap', 'coverage')
  mkdirSync(into, { recursive: true })
  let n = 0
  for (const name of readdirSync(folder)) {
    const report = JSON.parse(readFileSync(join(folder, name), 'utf8'))
    const maps = report['source-map-cache'] ?? {}
    const result = report.result.filter(script => {
      if (!script.url.startsWith('file:')) return false
      const sources = (maps[script.url]?.data?.sources ?? []).map(source =>
        source.startsWith('file:') ? fileURLToPath(source) : source,
      )
      return covered(fileURLToPath(script.url), sources)
    })
    if (result.length === 0) continue
    const kept = Object.fromEntries(
      result.filter(script => maps[script.url]).map(script => [script.url, maps[script.url]]),
    )
    const to = join(into, `child-${process.pid}-${n++}.json`)
    writeFileSync(to, JSON.stringify({ result, 'source-map-cache': kept }))
  }
  rmSync(folder, { recursive: true, force: true })
}

/**
 * processinfo's choice of files (the variables tap sets from .taprc's coverage settings): a script is measured
 * unless it or a source its source map names is excluded, and only inside the project (tap's report leaves out
 * anything outside it).
 */
function coveredFiles(root) {
  const list = name => (process.env[name] ?? '').split('\n').filter(Boolean)
  const only = list('_TAPJS_PROCESSINFO_COV_FILES_')
  const uncovered = new Set(list('_TAPJS_PROCESSINFO_COV_EXCLUDE_FILES_'))
  const pattern = /^\/(.*)\/([a-z]*)$/.exec(process.env._TAPJS_PROCESSINFO_COV_EXCLUDE_ ?? '')
  const excluded = pattern ? new RegExp(pattern[1], pattern[2]) : /[\\/]node_modules[\\/]/
  const inside = root.endsWith(sep) ? root : root + sep
  return (file, sources) => {
    const files = [file, ...sources]
    if (!file.startsWith(inside) || file.includes(`${sep}node_modules${sep}`)) return false
    if (only.length) return files.some(f => only.includes(f))
    return !files.some(f => uncovered.has(f) || excluded.test(f))
  }
}
