// Slowloris: clients that send one header line every so often, never finishing their request, on every port the
// server listens on (the public one and the metrics endpoint).
import t from 'tap'
import { connect, type Socket } from 'node:net'
import type { Teardown } from '../helpers/teardown.js'
import { serveApp } from '../helpers/app.js'

/** Opens 50 sockets to `port` that drip header lines and never finish; answers how many the server closed. */
async function drip(t: Teardown, port: number, path: string): Promise<number> {
  const sockets: Socket[] = []
  const closed = new Set<Socket>()
  const dripping = setInterval(() => {
    for (const socket of sockets) if (!closed.has(socket)) socket.write(`X-Drip-${Date.now()}: 1\r\n`)
  }, 200)
  t.teardown(() => {
    clearInterval(dripping)
    for (const socket of sockets) socket.destroy()
  })
  for (let i = 0; i < 50; i++) {
    const socket = connect(port, '127.0.0.1')
    socket.on('error', () => {})
    socket.on('close', () => closed.add(socket))
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n`)
    sockets.push(socket)
  }
  // Generous: the limit is 1 s, the machine may be busy; without a limit none is closed for a minute or more.
  const deadline = Date.now() + 20_000
  while (closed.size < sockets.length && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 100))
  return closed.size
}

t.test('sockets that never finish their request are closed, on the public port and the metrics port', async t => {
  const { base, app } = await serveApp(t, { requestTimeoutMs: 1000, metricsPort: 0 })
  t.equal(await drip(t, Number(new URL(base).port), '/login/check'), 50, 'every slow socket was closed by the server')
  const metrics = new URL(app.ctx.metrics.url!)
  t.equal(await drip(t, Number(metrics.port), '/metrics'), 50, 'and by the metrics endpoint')
})
