import { constants } from 'node:fs'
import { access } from 'node:fs/promises'
import type { Test } from 'tap'
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

/**
 * Launches a headless Chromium that is closed when the test ends. Answers
 * a reason string instead when no browser is installed, so that the caller
 * can skip with it; under `CI=true` a missing browser throws instead, since
 * a skipped browser test would hide a broken setup.
 */
export async function launchBrowser(t: Teardown): Promise<Browser | string> {
  try {
    await access(CHROMIUM, constants.X_OK)
  } catch {
    const reason = `browser test needs Chromium: ${CHROMIUM} is missing (apt-get install chromium, or set CHROMIUM_PATH)`
    if (process.env.CI === 'true') throw new Error(`${reason}; it is required under CI`)
    return reason
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 2 * PAGE_TIMEOUT_MS })
  t.teardown(() => browser.close())
  return browser
}

/** Declares a test that drives the file's browser; without one it is skipped with the reason. */
export type BrowserTest = (name: string, body: (t: Test, browser: Browser) => Promise<void>) => ReturnType<Test['test']>

/**
 * Launches the browser of a test file (closed when `t` ends, see
 * {@link launchBrowser}) and answers how to declare the tests that drive it.
 */
export async function browserTests(t: Test): Promise<BrowserTest> {
  const browser = await launchBrowser(t)
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
