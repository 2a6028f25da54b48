import type { AccessRule, RuleSpec } from '../storage/access-rules.js'
import { ruleKey } from './rule-spec.js'

/** What `rule import` changes (docs/forward-auth.md, "Keeping the rules in git"). */
export interface ImportPlan {
  /** The rules in their new order: the id of a rule that stays, or a rule to add. */
  order: (number | RuleSpec)[]
  added: RuleSpec[]
  removed: AccessRule[]
  /** Rules that stay but change places among those that stay (fewest such: the others keep their order). */
  moved: AccessRule[]
}

/**
 * Compares the rules there are with the rules of a file: a rule of the file
 * equal to one there is (host, path, methods and answer) keeps it, in turn
 * for repeated rules; the rest of the file is added, the rest there is
 * removed. Of the rules that stay, those off the longest run that keeps
 * its order are the ones moved.
 */
export function planImport(current: readonly AccessRule[], specs: readonly RuleSpec[]): ImportPlan {
  const waiting = new Map<string, AccessRule[]>()
  for (const rule of current) {
    const key = ruleKey(rule)
    const list = waiting.get(key)
    if (list) list.push(rule)
    else waiting.set(key, [rule])
  }
  const order: (number | RuleSpec)[] = []
  const added: RuleSpec[] = []
  const kept: AccessRule[] = []
  for (const spec of specs) {
    const rule = waiting.get(ruleKey(spec))?.shift()
    if (rule) {
      kept.push(rule)
      order.push(rule.id)
    } else {
      added.push(spec)
      order.push(spec)
    }
  }
  const removed = [...waiting.values()].flat().sort((a, b) => a.position - b.position)
  const staying = new Set(longestIncreasingRun(kept.map(rule => rule.position)).map(i => kept[i]!.id))
  return { order, added, removed, moved: kept.filter(rule => !staying.has(rule.id)) }
}

/** The indexes of a longest strictly increasing subsequence of `values` (patience sorting, n log n). */
function longestIncreasingRun(values: readonly number[]): number[] {
  const tails: number[] = []
  const previous: number[] = []
  for (const [i, value] of values.entries()) {
    let low = 0
    let high = tails.length
    while (low < high) {
      const middle = (low + high) >> 1
      if (values[tails[middle]!]! < value) low = middle + 1
      else high = middle
    }
    previous[i] = low > 0 ? tails[low - 1]! : -1
    tails[low] = i
  }
  const run: number[] = []
  for (let i = tails.at(-1) ?? -1; i !== -1; i = previous[i]!) run.push(i)
  return run.reverse()
}
