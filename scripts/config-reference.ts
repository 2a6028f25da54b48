// The configuration reference of docs/operating.md, written from the settings table of src/config.ts: the table is
// the one place a setting's variable, default and meaning are written, and the page shows it.
import { settingsReference } from '../src/config.js'

export const BEGIN =
  '<!-- settings:begin (generated from src/config.ts by `npm run docs:config`: edit the table there) -->'
export const END = '<!-- settings:end -->'

/** The reference as a markdown table, one row per setting. */
export function configReference(): string {
  const cell = (text: string) => text.replaceAll('|', '\\|')
  const rows = settingsReference().map(s => `| \`${s.env}\` | \`${s.name}\` | ${cell(s.default)} | ${cell(s.doc)} |`)
  return ['| variable | in `LOGIN_CONFIG` | default | meaning |', '|---|---|---|---|', ...rows].join('\n')
}

/** `page` with the reference between its markers written afresh; throws when the markers are missing. */
export function withConfigReference(page: string): string {
  const begin = page.indexOf(BEGIN)
  const end = page.indexOf(END)
  if (begin < 0 || end < begin) throw new Error(`the page has no ${BEGIN} … ${END} section`)
  return `${page.slice(0, begin + BEGIN.length)}\n\n${configReference()}\n\n${page.slice(end)}`
}
