/**
 * A value known now, or one still to come. The forward-auth check is
 * answered from what a node knows in most requests (docs/architecture.md,
 * "Benchmarks"): a promise there would cost a microtask and its allocations
 * for nothing, so the steps of that path hand each other this instead.
 */
export type MaybePromise<T> = T | Promise<T>

/**
 * `next(value, a, b)`: at once when `value` is known now, once it settles
 * otherwise. What `next` needs besides the value travels as `a` and `b`
 * rather than in a closure, so that the path known now allocates nothing.
 */
export function andThen<T, R, A, B>(
  value: MaybePromise<T>,
  next: (value: T, a: A, b: B) => MaybePromise<R>,
  a: A,
  b: B,
): MaybePromise<R> {
  return value instanceof Promise ? value.then(settled => next(settled, a, b)) : next(value, a, b)
}
