/**
 * How many values one look-up binds at most. An expression may name
 * thousands of groups (a channel message is up to 64 KiB); SQLite binds at
 * most 32,766 values per statement, so longer lists are asked in parts.
 */
export const MAX_BOUND_VALUES = 1000

/**
 * `lookup` over `values`, in parts of at most `MAX_BOUND_VALUES` whose
 * answers are joined. The usual short list is passed straight through:
 * this is on the path of every membership check.
 */
export function inChunks<V, T>(
  values: readonly V[],
  lookup: (chunk: readonly V[]) => Promise<Iterable<T>>,
): Promise<Iterable<T>> {
  return values.length <= MAX_BOUND_VALUES ? lookup(values) : inParts(values, lookup)
}

async function inParts<V, T>(
  values: readonly V[],
  lookup: (chunk: readonly V[]) => Promise<Iterable<T>>,
): Promise<T[]> {
  const answers: T[] = []
  for (let start = 0; start < values.length; start += MAX_BOUND_VALUES) {
    answers.push(...(await lookup(values.slice(start, start + MAX_BOUND_VALUES))))
  }
  return answers
}
