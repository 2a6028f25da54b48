import { createServer } from 'node:http'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import type { Teardown } from '../helpers/teardown.js'

/** A relying party's back-channel logout endpoint on loopback: it keeps every logout token POSTed to it. */
export interface LogoutReceiver {
  uri: string
  /** Every token received so far, in order. */
  tokens: string[]
  /** The next token (one already received and not yet taken first); rejects after `ms`. */
  next(ms?: number): Promise<string>
}

export async function logoutReceiver(t: Teardown, path = '/backchannel'): Promise<LogoutReceiver> {
  const tokens: string[] = []
  let taken = 0
  const waiting: (() => void)[] = []
  const server = createServer((request, response) => {
    let body = ''
    request.setEncoding('utf8')
    request.on('data', chunk => (body += chunk))
    request.on('end', () => {
      const token = new URLSearchParams(body).get('logout_token')
      const ok = request.method === 'POST' && request.url === path && token !== null
      if (ok) tokens.push(token)
      response.writeHead(ok ? 200 : 400).end()
      for (const wake of waiting.splice(0)) wake()
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => new Promise(resolve => server.close(resolve)))
  const { port } = server.address() as AddressInfo
  return {
    uri: `http://127.0.0.1:${port}${path}`,
    tokens,
    async next(ms = 5000) {
      const deadline = Date.now() + ms
      while (taken >= tokens.length) {
        const left = deadline - Date.now()
        if (left <= 0) throw new Error(`no logout token within ${ms} ms`)
        await new Promise<void>(resolve => {
          const timer = setTimeout(resolve, left)
          waiting.push(() => {
            clearTimeout(timer)
            resolve()
          })
        })
      }
      return tokens[taken++]!
    },
  }
}
