import type { AxeResults, RunOptions } from 'axe-core'
import { mkdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { serveApp, type ServedApp } from '../helpers/app.js'
import { PAGE_TIMEOUT_MS } from '../helpers/browser.js'
import { repoPath } from '../helpers/repo.js'
import type { Teardown } from '../helpers/teardown.js'
import type { Config } from '../../src/config.js'

/**
 * What the browser tests of the pages share: the app served with the
 * strict Content-Security-Policy the pages must live with, phone and
 * desktop browsers, the checks every page passes (no horizontal
 * scrolling, no serious accessibility violation, no CSP violation) and
 * the screenshots docs/getting-started.md shows.
 */

export type Size = 'phone' | 'desktop'

const VIEWPORTS: Record<Size, { width: number; height: number }> = {
  phone: { width: 390, height: 844 },
  desktop: { width: 1280, height: 800 },
}

/** User agents of the devices the sessions page names. */
export const AGENTS = {
  chromeLinux: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  safariIphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) ' +
    'Version/17.5 Mobile/15E148 Safari/604.1',
  firefoxWindows: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0',
  chromeAndroid:
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
}

/**
 * The pages' screenshots in docs/ are written by `npm run screenshots` (which sets this variable), never by
 * the suite itself, so that a test run leaves the work tree as it found it.
 */
const SCREENSHOTS = process.env.WRITE_SCREENSHOTS === '1' ? repoPath('docs', 'screenshots') : null

/** The app on loopback, as it serves everyone: every answer carries its strict policy (src/http/security-headers.ts). */
export function servePages(t: Teardown): Promise<ServedApp> {
  return serveApp(t)
}

/**
 * The app reached as `http://localhost:<port>`: passkeys need a domain for
 * their relying-party ID (the site, `localhost` here), which an address is not.
 */
export function servePasskeyPages(t: Teardown, overrides: Partial<Config> = {}): Promise<ServedApp> {
  return serveApp(t, overrides, undefined, { hostName: 'localhost' })
}

/** A fresh browser profile of that size (a phone is a touch screen honouring the viewport tag). */
export async function newContext(
  t: Teardown,
  browser: Browser,
  size: Size,
  userAgent = size === 'phone' ? AGENTS.safariIphone : AGENTS.chromeLinux,
): Promise<BrowserContext> {
  const context = await browser.newContext({
    viewport: VIEWPORTS[size],
    isMobile: size === 'phone',
    hasTouch: size === 'phone',
    userAgent,
  })
  t.teardown(() => context.close())
  return context
}

/** Puts a session of `who` (made with that user agent) into the browser profile. */
export async function signInto(context: BrowserContext, served: ServedApp, who: string, userAgent: string) {
  const [name, value] = (await served.signIn(who, { 'user-agent': userAgent })).split('=') as [string, string]
  await context.addCookies([{ name, value, url: served.base }])
}

/**
 * axe-core's script, put into a page once per document and run there. (Its Playwright wrapper injects it twice
 * per check and runs each check's last step in a new blank page, which cost the browser tests more than the
 * pages they check.) The pages have no frames, which that wrapper exists to reach.
 */
const AXE_SCRIPT = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

/** What axe-core finds wrong on the page, with every node of each finding (the rest is not gathered). */
export async function axeViolations(page: Page): Promise<AxeResults['violations']> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SCRIPT)
  const options: RunOptions = { resultTypes: ['violations'] }
  const results = await page.evaluate(
    options =>
      (window as unknown as { axe: { run(context: Document, options: RunOptions): Promise<AxeResults> } }).axe.run(
        document,
        options,
      ),
    options,
  )
  return results.violations
}

const cspViolations = new WeakMap<Page, string[]>()

/** A page whose console is watched for the browser's CSP refusals, as patient as every page of the tests. */
export async function newPage(context: BrowserContext): Promise<Page> {
  const page = await context.newPage()
  page.setDefaultTimeout(PAGE_TIMEOUT_MS)
  const refused: string[] = []
  page.on('console', message => {
    if (/Content Security Policy/i.test(message.text())) refused.push(message.text())
  })
  cspViolations.set(page, refused)
  return page
}

/** What the CSP refused on this page since the last call (the list starts afresh). */
export function cspRefusals(page: Page): string[] {
  return (cspViolations.get(page) ?? []).splice(0)
}

export interface PageReport {
  name: string
  width: number
  scrollWidth: number
  violations: Record<string, number>
}

/**
 * The checks every page passes: nothing wider than the window, no
 * serious or critical axe-core finding, nothing the CSP refused. Answers
 * what was measured, for the summary.
 */
export async function checkPage(
  t: { ok: (v: unknown, m: string) => void; same: (a: unknown, b: unknown, m: string) => void },
  page: Page,
  name: string,
): Promise<PageReport> {
  // A phone widens its layout viewport to fit wide content, so the screen's width is the measure, not innerWidth.
  const width = page.viewportSize()!.width
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  }))
  t.ok(
    scrollWidth <= width && innerWidth <= width,
    `${name} at ${width} px: no horizontal scrolling (content ${scrollWidth} px wide)`,
  )
  const violations = await axeViolations(page)
  const blocking = violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map(n => n.target.join(' ')).join('; ')})`)
  t.same(blocking, [], `${name} at ${width} px: no serious or critical accessibility violation`)
  t.same(cspRefusals(page), [], `${name} at ${width} px: nothing refused by the CSP`)
  const counts: Record<string, number> = {}
  for (const v of violations) counts[v.impact ?? 'unknown'] = (counts[v.impact ?? 'unknown'] ?? 0) + v.nodes.length
  return { name, width, scrollWidth, violations: counts }
}

/** Writes `docs/screenshots/<name>-<size>.png` (the whole page) when run by `npm run screenshots`. */
export async function screenshot(page: Page, name: string, size: Size): Promise<void> {
  if (SCREENSHOTS === null) return
  mkdirSync(SCREENSHOTS, { recursive: true })
  await page.screenshot({ path: join(SCREENSHOTS, `${name}-${size}.png`), fullPage: true })
}

/** One comment line per page: widths and axe findings by impact (none serious or critical, or a test failed). */
export function summary(reports: readonly PageReport[]): string {
  return reports
    .map(r => {
      const found = Object.entries(r.violations).map(([impact, n]) => `${impact} ${n}`)
      const axe = found.length ? found.join(', ') : 'no findings'
      return `${r.name} @${r.width}: page ${r.scrollWidth} px wide; axe: ${axe}`
    })
    .join('\n')
}
