// The project's documentation as the docs tests read it: the README, CONTRIBUTING.md and every page under docs/.
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'

export const root = join(import.meta.dirname, '..', '..')

export interface Page {
  /** Path from the repository's root, with forward slashes: `docs/security.md`. */
  path: string
  text: string
  /** The page's headings as written, without the leading `#`s. */
  headings: string[]
  /** The anchors GitHub gives those headings, in order. */
  anchors: Set<string>
  /** The bold leads of paragraphs and list items (`**Options**`, `- **Secrets.**`), without the final period. */
  leads: string[]
}

/** README.md, CONTRIBUTING.md and docs/**\/*.md. */
export function pages(): Page[] {
  const docs = readdirSync(join(root, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter(name => name.endsWith('.md'))
    .map(name =>
      relative(root, join(root, 'docs', name))
        .split('\\')
        .join('/'),
    )
  return ['README.md', 'CONTRIBUTING.md', ...docs.sort()].map(page)
}

export function page(path: string): Page {
  const text = readFileSync(join(root, path), 'utf8')
  const prose = withoutCode(text)
  const headings = [...prose.matchAll(/^#{1,6} +(.+?) *#*$/gm)].map(m => m[1]!)
  const anchors = new Set<string>()
  const seen = new Map<string, number>()
  for (const heading of headings) {
    const slug = githubSlug(heading)
    const count = seen.get(slug) ?? 0
    seen.set(slug, count + 1)
    anchors.add(count ? `${slug}-${count}` : slug)
  }
  const leads = [...prose.matchAll(/^(?:[-*] +)?\*\*([^*]+?)\.?\*\*/gm)].map(m => m[1]!.trim())
  return { path, text, headings, anchors, leads }
}

/** The text with fenced code blocks blanked (their lines kept empty, so that a `#` comment is no heading). */
export function withoutCode(text: string): string {
  let fenced = false
  return text
    .split('\n')
    .map(line => {
      if (/^ {0,3}(```|~~~)/.test(line)) {
        fenced = !fenced
        return ''
      }
      return fenced ? '' : line
    })
    .join('\n')
}

/** The anchor GitHub gives a heading: its rendered text in lower case, punctuation dropped, spaces as hyphens. */
export function githubSlug(heading: string): string {
  const rendered = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/[`*]/g, '')
  return rendered
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-')
}

/** A heading as a section name: without the step number some headings carry (`1. Registering an application`). */
export function sectionName(heading: string): string {
  return heading.replace(/^\d+\. +/, '').trim()
}
