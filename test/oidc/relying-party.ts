import * as client from 'openid-client'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Teardown } from '../helpers/teardown.js'

/** A web app on its own origin that signs people in with openid-client, as any server-side relying party does. */
export interface RelyingParty {
  /** `http://localhost:<port>`: another origin (and site) than a login server on 127.0.0.1. */
  origin: string
  redirectUri: string
  /** Points the app at the OpenID Provider, once it is registered there. */
  configure(issuer: string, clientId: string, secret: string): Promise<void>
}

interface Pending {
  verifier: string
  state: string
  nonce: string
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)
}

function page(response: ServerResponse, body: string, status = 200): void {
  response.writeHead(status, { 'content-type': 'text/html; charset=utf-8' })
  response.end(`<!doctype html><html><head><title>Relying party</title></head><body>${body}</body></html>`)
}

function cookieOf(request: IncomingMessage, name: string): string | undefined {
  const pair = (request.headers.cookie ?? '').split(/;\s*/).find(c => c.startsWith(`${name}=`))
  return pair?.slice(name.length + 1)
}

export async function startRelyingParty(t: Teardown): Promise<RelyingParty> {
  let config: client.Configuration | null = null
  const pending = new Map<string, Pending>()
  const signedIn = new Map<string, { name: string; groups: string[] }>()
  let origin = ''

  const server = createServer((request, response) => {
    void handle(request, response).catch(error => page(response, escape(String(error)), 500))
  })
  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', origin)
    const visitor = cookieOf(request, 'rp') ?? randomBytes(16).toString('hex')
    response.setHeader('set-cookie', `rp=${visitor}; Path=/; HttpOnly; SameSite=Lax`)
    if (url.pathname === '/') {
      const user = signedIn.get(visitor)
      return page(
        response,
        user
          ? `<p id="user">Signed in as ${escape(user.name)}</p><p id="groups">${escape(user.groups.join(','))}</p>`
          : '<p><a id="sign-in" href="/sign-in">Sign in</a></p>',
      )
    }
    if (url.pathname === '/sign-in') {
      const flow = {
        verifier: client.randomPKCECodeVerifier(),
        state: client.randomState(),
        nonce: client.randomNonce(),
      }
      pending.set(visitor, flow)
      const target = client.buildAuthorizationUrl(config!, {
        redirect_uri: `${origin}/callback`,
        scope: 'openid profile groups',
        code_challenge: await client.calculatePKCECodeChallenge(flow.verifier),
        code_challenge_method: 'S256',
        state: flow.state,
        nonce: flow.nonce,
      })
      response.writeHead(302, { location: target.href }).end()
      return
    }
    if (url.pathname === '/callback') {
      const flow = pending.get(visitor)
      pending.delete(visitor)
      if (!flow) return page(response, 'no sign-in under way', 400)
      const tokens = await client.authorizationCodeGrant(config!, url, {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
      })
      const claims = tokens.claims()!
      signedIn.set(visitor, { name: String(claims.name), groups: (claims.groups as string[] | undefined) ?? [] })
      response.writeHead(303, { location: '/' }).end()
      return
    }
    page(response, 'not found', 404)
  }

  server.listen(0, 'localhost')
  await once(server, 'listening')
  t.teardown(() => new Promise(resolve => server.close(resolve)))
  origin = `http://localhost:${(server.address() as AddressInfo).port}`
  return {
    origin,
    redirectUri: `${origin}/callback`,
    async configure(issuer, clientId, secret) {
      config = await client.discovery(new URL(issuer), clientId, undefined, client.ClientSecretBasic(secret), {
        execute: [client.allowInsecureRequests],
      })
    },
  }
}
