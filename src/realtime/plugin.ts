import type { FastifyInstance } from 'fastify'
import type { LoginErrorCode } from 'modular-login-client/errors'
import {
  CHANNEL_PATH,
  CloseCode,
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  type ServerMessage,
} from 'modular-login-client/protocol'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer } from 'ws'
import { errors } from '../errors.js'
import type { Revocation } from '../storage/revocations.js'
import { AppShares } from './app-shares.js'
import { Channel, pushFor } from './channel.js'

/** Timing of the channel; the defaults suit production, tests shorten them. */
export interface RealtimeOptions {
  /** An app must send `hello` within this long (10 s). */
  helloTimeoutMs?: number
  /** Ping interval; a connection that missed one ping is dropped (30 s). */
  heartbeatMs?: number
}

/**
 * `GET /login/ws`: the realtime channel for client applications (protocol
 * in docs/protocol.md, "Connecting"). Runs on the Fastify server's own HTTP server; every
 * process relays to its apps what its revocation feed announces, which
 * includes revocations written by other processes sharing the database.
 */
export async function realtimePlugin(app: FastifyInstance, options: RealtimeOptions = {}): Promise<void> {
  const { ctx } = app
  const channels = new Set<Channel>()
  const shares = new AppShares(ctx.config.channelConnectionsPerApp, ctx.config.channelRateLimit)
  const helloTimeoutMs = options.helloTimeoutMs ?? 10_000

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME_BYTES,
    perMessageDeflate: false,
    clientTracking: false,
    // One message per turn of the event loop: a connection's burst cannot hold up HTTP requests and other apps.
    allowSynchronousEvents: false,
  })
  wss.on('headers', headers => {
    headers.push(`X-Login-Protocol: ${PROTOCOL_VERSION}`)
  })

  // An `app` entry: the app was removed, or it may no longer open the channel (`app channel <name> off`).
  const closeWhatAppMayNotHave = async (appId: string) => {
    const now = await ctx.apps.byId(appId)
    if (now?.channel) return
    if (!now) shares.forget(appId)
    const [code, error] = now
      ? [CloseCode.Forbidden, new errors.Forbidden('this app may no longer use the channel')]
      : [CloseCode.AppRemoved, new errors.AppAuth('this app was removed')]
    for (const channel of channels) if (channel.app?.id === appId) channel.refuse(code, error)
  }

  const onRevocation = (entry: Revocation) => {
    if (entry.kind === 'app') {
      closeWhatAppMayNotHave(entry.subject).catch(error => app.ctx.log.error({ err: error }, 'app change not applied'))
      return
    }
    // Encoded once for every connection.
    const push = pushFor(entry, ctx.config.leaseSeconds)
    const message = push === null ? null : Buffer.from(JSON.stringify(push))
    for (const channel of channels) channel.push(entry, message)
  }
  ctx.feed.on('revocation', onRevocation)

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (request.url ?? '').split('?')[0]!.replace(/\/$/, '')
    if (path !== CHANNEL_PATH) {
      // Nobody else answers upgrades on this server: say so rather than leave the socket hanging.
      if (app.server.listenerCount('upgrade') === 1) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
      }
      return
    }
    wss.handleUpgrade(request, socket, head, ws => {
      const channel = new Channel(ws, ctx, shares, request.socket.remoteAddress ?? 'unknown', helloTimeoutMs)
      channels.add(channel)
      ctx.metrics.realtimeConnections.inc()
      ws.on('close', () => channels.delete(channel) && ctx.metrics.realtimeConnections.dec())
    })
  }
  app.server.on('upgrade', onUpgrade)

  const heartbeat = setInterval(() => {
    for (const channel of channels) {
      if (!channel.alive) channel.terminate()
      else channel.ping()
    }
  }, options.heartbeatMs ?? 30_000).unref()

  // New signing keys (`keys rotate` here, on another node, or at the CLI): the apps get them at once.
  const onKeys = () => {
    const jwks = ctx.keys.jwks(ctx.clock.now(), ctx.config.leaseSeconds)
    const message = JSON.stringify({ type: 'keys', jwks } satisfies ServerMessage)
    for (const channel of channels) channel.broadcast(message)
    ctx.log.info('lease keys changed: apps told')
  }
  ctx.keys.on('changed', onKeys)

  app.get('/ws', { config: { html: false } }, async (_request, reply) =>
    reply
      .code(426)
      .header('upgrade', 'websocket')
      .send({
        statusCode: 426,
        error: 'Upgrade Required',
        code: 'LOGIN_ERR_BAD_REQUEST' satisfies LoginErrorCode,
        message:
          'This is the realtime channel for applications: connect with a websocket ' +
          '(see docs/protocol.md, "Connecting")',
      }),
  )

  app.addHook('preClose', async () => {
    app.server.off('upgrade', onUpgrade)
    ctx.feed.off('revocation', onRevocation)
    clearInterval(heartbeat)
    ctx.keys.off('changed', onKeys)
    for (const channel of channels) channel.close(CloseCode.GoingAway, 'server shutting down')
  })
}
