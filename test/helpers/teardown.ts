/**
 * What a helper needs of the test it serves: a place to register its
 * clean-up. A tap test (the file's root `t` or a subtest) is one; a bench
 * script passes a plain object that keeps the functions for its own end.
 */
export interface Teardown {
  teardown(fn: () => unknown): void
}
