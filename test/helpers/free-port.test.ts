// The ports handed to servers that are told their port before they start: outside the range the kernel takes
// outgoing connections' ports from, so that no test's connection can take one before its server binds it.
import t from 'tap'
import { createServer } from 'node:net'
import { ephemeralRangeStart, freePort } from './free-port.js'

t.test('a free port lies below the ephemeral range and a server can listen on it', async t => {
  const start = ephemeralRangeStart()
  const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()))
  t.ok(
    ports.every(port => port >= 10_000 && port < start),
    `ports ${ports.join(', ')} below ${start}`,
  )
  const server = createServer()
  await new Promise<void>(resolve => server.listen(ports[0], '127.0.0.1', resolve))
  t.equal((server.address() as { port: number }).port, ports[0], 'listening on it')
  await new Promise(resolve => server.close(resolve))
})
