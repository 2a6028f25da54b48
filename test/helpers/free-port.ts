import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'

const LOWEST = 10_000

/**
 * A port that was free a moment ago on 127.0.0.1, for a server that must be told its port before it starts
 * (memcached, PostgreSQL, nginx, `./server.sh`).
 *
 * It comes from below the kernel's ephemeral range (ip_local_port_range): every outgoing connection takes a port
 * from that range, so a port found there with listen(0) and released could be taken by any test's next connection
 * before the server binds it (EADDRINUSE on a busy machine). Below the range only a server asking for that very
 * port can take it.
 */
export async function freePort(): Promise<number> {
  const highest = ephemeralRangeStart() - 1
  if (highest - LOWEST < 1000) return listenOnce(0)
  for (let attempt = 1; ; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (highest - LOWEST + 1))
    try {
      return await listenOnce(port)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt === 50) throw error
    }
  }
}

/** The first port of the ephemeral range (Linux), or the range's usual start where it cannot be read. */
export function ephemeralRangeStart(): number {
  try {
    const start = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0])
    if (Number.isInteger(start) && start > 0) return start
  } catch {
    // Not Linux: IANA's dynamic range starts here.
  }
  return 49152
}

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().once('error', reject)
    probe.listen(port, '127.0.0.1', () => {
      const { port: bound } = probe.address() as { port: number }
      probe.close(() => resolve(bound))
    })
  })
}
