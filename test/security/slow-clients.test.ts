// Slowloris: clients that send one header line every so often, never finishing their request.
import t from 'tap'
import { connect, type Socket } from 'node:net'
import { serveApp } from '../helpers/app.js'

t.test('sockets that never finish their request are closed', async t => {
  const { base } = await serveApp(t, { requestTimeoutMs: 1000 })
  const { port } = new URL(base)
  const sockets: Socket[] = []
  const closed = new Set<Socket>()
  const drip = setInterval(() => {
    for (const socket of sockets) if (!closed.has(socket)) socket.write(`X-Drip-${Date.now()}: 1\r\n`)
  }, 200)
  t.teardown(() => {
    clearInterval(drip)
    for (const socket of sockets) socket.destroy()
  })
  for (let i = 0; i < 50; i++) {
    const socket = connect(Number(port), '127.0.0.1')
    socket.on('error', () => {})
    socket.on('close', () => closed.add(socket))
    socket.write('GET /login/check HTTP/1.1\r\nHost: 127.0.0.1\r\n')
    sockets.push(socket)
  }
  // Generous: the limit is 1 s, the machine may be busy; without a limit none is ever closed.
  const deadline = Date.now() + 20_000
  while (closed.size < sockets.length && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 100))
  t.equal(closed.size, sockets.length, 'every slow socket was closed by the server')
})
