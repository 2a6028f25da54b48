import { constants } from 'node:fs'
import { access } from 'node:fs/promises'
import tap, { type Test } from 'tap'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import type { Teardown } from './teardown.js'

/** Debian's chromium; playwright-core ships no browser of its own. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking']

/**
 * How long a page action or navigation may take. Generous: on a busy
 * two-core machine Chromium can stall for many seconds, and a test waits
 * for what a page shows, never for a time (latency belongs in bench/).
 */
export const PAGE_TIMEOUT_MS = 60_000

let processBrowser: Promise<Browser> | undefined

/**
 * This process's headless Chromium, launched at the first call and closed when the process's tests end: files
 * that share a process (test/all/shares.ts) share it too, each test in browser profiles of its own
 * ({@link freshPage}). Answers a reason string instead when no browser is installed, so that the caller can skip
 * with it; under `CI=true` a missing browser throws instead, since a skipped browser test would hide a broken setup.
 */
async function launchBrowser(): Promise<Browser | string> {
  try {
    await access(CHROMIUM, constants.X_OK)
  } catch {
    const reason = `browser test needs Chromium: ${CHROMIUM} is missing (apt-get install chromium, or set CHROMIUM_PATH)`
    if (process.env.CI === 'true') throw new Error(`${reason}; it is required under CI`)
    return reason
  }
  if (!processBrowser) {
    processBrowser = chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 2 * PAGE_TIMEOUT_MS })
    const launched = processBrowser
    // tap's root: its teardown runs when the whole process ends.
    tap.teardown(async () => (await launched.catch(() => null))?.close())
  }
  return processBrowser
}

/** Declares a test that drives the process's browser; without one it is skipped with the reason. */
export type BrowserTest = (name: string, body: (t: Test, browser: Browser) => Promise<void>) => ReturnType<Test['test']>

/** How to declare the tests of `t` that drive this process's browser ({@link launchBrowser}). */
export async function browserTests(t: Test): Promise<BrowserTest> {
  const browser = await launchBrowser()
  return (name, body) =>
    t.test(name, { skip: typeof browser === 'string' ? browser : false }, async t => {
      if (typeof browser === 'string') return
      await body(t, browser)
    })
}

/** A fresh browser profile, closed when the test ends, with a page open in it that waits up to {@link PAGE_TIMEOUT_MS}. */
export async function freshPage(t: Teardown, browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext()
  t.teardown(() => context.close())
  const page = await context.newPage()
  page.setDefaultTimeout(PAGE_TIMEOUT_MS)
  return { context, page }
}
