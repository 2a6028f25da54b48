import t, { type Test } from 'tap'
import type { Page } from 'playwright-core'
import type { ServedApp } from '../helpers/app.js'
import { browserTests } from '../helpers/browser.js'
import {
  AGENTS,
  checkPage,
  newContext,
  newPage,
  servePages,
  signInto,
  summary,
  type PageReport,
  type Size,
} from './support.js'
import { fullWorld, type World } from './world.js'

/** What a sweep hands its visits, once per size. */
export interface Sweep {
  t: Test
  page: Page
  size: Size
  served: ServedApp
  world: World
  /** Opens a page, expects its status, and runs the checks every page passes. */
  visit(name: string, path: string, status?: number): Promise<void>
  /** The checks alone, for a page a form led to. */
  check(name: string): Promise<void>
}

/**
 * One browser test of this file: the pages `visitAll` opens in the full
 * world, at 1280 px and then at 390 px, as `who(size)` (or signed out), each
 * checked for overflow, accessibility and the CSP; the measurements are
 * printed at the end.
 */
export async function sweepPages(
  title: string,
  who: ((size: Size) => string) | null,
  visitAll: (sweep: Sweep) => Promise<void>,
): Promise<void> {
  // Every page is measured and run through axe-core at two sizes: minutes on a busy machine.
  t.setTimeout(10 * 60_000)
  const browserTest = await browserTests(t)
  browserTest(title, async (t, browser) => {
    const served = await servePages(t)
    const world = await fullWorld(served)
    const reports: PageReport[] = []
    for (const size of ['desktop', 'phone'] as const) {
      const context = await newContext(t, browser, size)
      if (who) await signInto(context, served, who(size), AGENTS[size === 'phone' ? 'safariIphone' : 'chromeLinux'])
      const page = await newPage(context)
      const check = async (name: string) => {
        reports.push(await checkPage(t, page, name))
      }
      const visit = async (name: string, path: string, status = 200) => {
        const response = await page.goto(`${served.base}${path}`)
        t.equal(response?.status(), status, `${name}: ${status}`)
        await check(name)
      }
      await visitAll({ t, page, size, served, world, visit, check })
    }
    t.comment(summary(reports))
  })
}
