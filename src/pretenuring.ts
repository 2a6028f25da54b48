import { setFlagsFromString } from 'node:v8'

/**
 * Turns V8's allocation-site pretenuring off for this process, before it
 * takes traffic. V8 watches, for each place in the code that allocates,
 * what share of its objects live through a young-generation collection;
 * past a threshold it allocates that place's objects straight into the old
 * generation from then on. A burst of new keep-alive connections (a
 * proxy's pool opening, a load generator starting) can tip that decision
 * for places that every request allocates from as well (Node's HTTP and
 * event-emitter internals), and the process then collects garbage several
 * times as hard for as long as it runs: in `bench:check`, about one server
 * process in eight spent 1.5 to 2 times the CPU on every `/login/check`,
 * its young-generation collections ten times as long. Without pretenuring
 * none did, and the others cost the same (docs/architecture.md,
 * "Benchmarks").
 */
export function turnOffPretenuring(): void {
  setFlagsFromString('--no-allocation-site-pretenuring')
}
