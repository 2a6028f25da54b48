/**
 * The hostile app of bench/flood.ts, in its own process: one channel
 * connection that, while told to flood, sends `query` requests as fast as
 * the socket takes them (keeping at most 1 MiB unsent) and reads every
 * reply. Tells the parent `{ready: true}` once authenticated; answers each
 * `{flood: false}` with what it sent and got since the last `{flood: true}`.
 */
import { PROTOCOL_VERSION } from 'modular-login-client/protocol'
import WebSocket from 'ws'

export interface FlooderOptions {
  server: string
  app: { id: string; secret: string }
  /** The user whose membership of `group` every query asks about. */
  user: string
  group: string
}

/** Sent when told to stop flooding. */
export interface FloodCounts {
  sent: number
  answered: number
  limited: number
  seconds: number
}

const BATCH = 200
const MAX_UNSENT = 1024 * 1024

const options = JSON.parse(process.argv[2] ?? '{}') as FlooderOptions
const ws = new WebSocket(`${options.server.replace(/^http/, 'ws')}/login/ws`, { perMessageDeflate: false })
let flooding = false
let counts: FloodCounts = { sent: 0, answered: 0, limited: 0, seconds: 0 }
let started = 0

ws.on('open', () =>
  ws.send(
    JSON.stringify({ type: 'hello', version: PROTOCOL_VERSION, app: options.app.id, secret: options.app.secret }),
  ),
)
ws.on('message', (data: Buffer) => {
  // A substring test instead of JSON.parse: the flooder should spend its CPU on sending.
  const text = data.toString()
  if (text.includes('"type":"synced"')) process.send!({ ready: true })
  else if (text.includes('"type":"member"')) counts.answered++
  else if (text.includes('LOGIN_ERR_RATE_LIMITED')) counts.limited++
})
ws.on('close', (code, reason) => {
  process.stderr.write(`flooder: connection closed ${code} ${reason.toString()}\n`)
  process.exit(1)
})

const query = (id: number) => JSON.stringify({ type: 'query', id, user: options.user, group: options.group })

function flood(): void {
  if (!flooding) return
  if (ws.bufferedAmount < MAX_UNSENT) for (let i = 0; i < BATCH; i++) ws.send(query(counts.sent++))
  setImmediate(flood)
}

process.on('message', (message: { flood: boolean }) => {
  if (message.flood) {
    counts = { sent: 0, answered: 0, limited: 0, seconds: 0 }
    started = performance.now()
    flooding = true
    flood()
  } else {
    flooding = false
    process.send!({ ...counts, seconds: (performance.now() - started) / 1000 } satisfies FloodCounts)
  }
})
process.once('disconnect', () => process.exit(0))
process.once('SIGTERM', () => process.exit(0))
