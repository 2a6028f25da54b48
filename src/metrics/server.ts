import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FastifyBaseLogger } from 'fastify'
import type { SocketTimeouts } from '../http/socket-timeouts.js'

/** What one path of the endpoint answers: a metrics exposition, or readiness details as JSON. */
export interface Answer {
  status: number
  contentType: string
  body: string
}

/** A listening metrics endpoint. */
export interface MetricsEndpoint {
  /** `http://<host>:<port>/metrics` */
  url: string
  close(): Promise<void>
}

/**
 * Serves, on a port of its own (never the public one: docs/operating.md,
 * "Metrics", explains why it binds to loopback by default), `GET /metrics`
 * for Prometheus and `GET /ready`, what is and is not ready and why (the
 * public `/login/ready` says only whether), one `answers` entry per path,
 * with the public port's timeouts: it may be reachable by more than the
 * scraper. Every other path answers 404.
 */
export async function serveMetrics(
  port: number,
  host: string,
  answers: Record<'/metrics' | '/ready', () => Promise<Answer>>,
  log: FastifyBaseLogger,
  timeouts: SocketTimeouts,
): Promise<MetricsEndpoint> {
  const server = createServer(timeouts, (request, response) => {
    const path = (request.url ?? '').split('?')[0]!
    const answer = Object.hasOwn(answers, path) ? answers[path as keyof typeof answers] : undefined
    if (!answer || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response
        .writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
        .end('metrics are at GET /metrics, readiness at GET /ready\n')
      return
    }
    answer().then(
      ({ status, contentType, body }) => {
        response.writeHead(status, { 'content-type': contentType })
        response.end(request.method === 'HEAD' ? undefined : body)
      },
      (error: unknown) => {
        log.error({ err: error, path }, 'metrics endpoint failed')
        response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('failed, see the log\n')
      },
    )
  })
  // A socket that goes quiet is closed too, as Fastify's connectionTimeout does on the public port.
  server.setTimeout(timeouts.requestTimeout, socket => socket.destroy())
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ port, host }, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port: bound } = server.address() as AddressInfo
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${bound}/metrics`
  log.info({ url }, 'metrics endpoint listening')
  return {
    url,
    close: () => new Promise<void>(resolve => server.close(() => resolve())),
  }
}
