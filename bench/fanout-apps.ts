/**
 * The app side of bench/fanout.ts, in its own process: opens N connections
 * to the login server with the client library's own connection code and
 * records, for every revocation pushed, when each connection got it (wall
 * clock, sub-millisecond, comparable across processes on one machine).
 * Once all N hold a revocation it reports them to the parent over IPC.
 */
import { Connection } from '../client/src/connection.js'
import { silentLogger } from '../client/src/log.js'

export interface FanoutAppsOptions {
  server: string
  app: { id: string; secret: string }
  connections: number
}

/** Sent once every connection is open and synced. */
export interface FanoutAppsReady {
  type: 'ready'
  heapUsed: number
  rss: number
}
/** Sent when every connection holds the revocation of `sid`. */
export interface FanoutArrival {
  type: 'arrival'
  sid: string
  first: number
  last: number
  median: number
}

const options = JSON.parse(process.argv[2] ?? '{}') as FanoutAppsOptions
const now = () => performance.timeOrigin + performance.now()
const arrivals = new Map<string, number[]>()
let synced = 0

const connections = Array.from({ length: options.connections }, () => {
  const connection: Connection = new Connection(
    {
      server: options.server,
      app: options.app,
      requestTimeoutMs: 30_000,
      reconnectMinMs: 100,
      reconnectMaxMs: 1000,
      log: silentLogger,
    },
    {
      welcome() {},
      synced() {
        if (++synced === options.connections) {
          global.gc?.()
          const memory = process.memoryUsage()
          process.send!({ type: 'ready', heapUsed: memory.heapUsed, rss: memory.rss } satisfies FanoutAppsReady)
        }
      },
      push(message) {
        if (message.type !== 'revoked') return
        const at = now()
        let times = arrivals.get(message.sid)
        if (!times) arrivals.set(message.sid, (times = []))
        times.push(at)
        if (times.length === options.connections) {
          arrivals.delete(message.sid)
          times.sort((a, b) => a - b)
          process.send!({
            type: 'arrival',
            sid: message.sid,
            first: times[0]!,
            last: times.at(-1)!,
            median: times[times.length >> 1]!,
          } satisfies FanoutArrival)
        }
      },
    },
  )
  return connection
})
// Open them in waves, as a fleet of apps restarting would, rather than 1000 handshakes in one tick.
for (let i = 0; i < connections.length; i++) {
  connections[i]!.start()
  if (i % 100 === 99) await new Promise(resolve => setTimeout(resolve, 20))
}

process.once('disconnect', () => {
  for (const connection of connections) connection.close()
  process.exit(0)
})
