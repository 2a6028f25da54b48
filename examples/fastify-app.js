// A Fastify application protected by modular-login (see docs/client-library.md, "Client applications").
//
//   ./server.sh debug                                              # the login server, on :8000
//   npx modular-login app add example > run/example-app.json      # once: this app's credentials
//   node examples/fastify-app.js run/example-app.json              # this app, on :8080
//
// Then open http://localhost:8080/me and sign in as 127.0.0.1 (the owner of test_group).
//
// It reads: its first argument, the credentials file (run/example-app.json); LOGIN_SERVER, where
// the login server is (http://localhost:8000); HOST and PORT, where this app listens
// (localhost, 8080); LOG_LEVEL (info).
import Fastify from 'fastify'
import { readFileSync } from 'node:fs'
import { createLoginClient } from 'modular-login-client'

const credentials = JSON.parse(readFileSync(process.argv[2] ?? 'run/example-app.json', 'utf8'))
const login = createLoginClient({ server: process.env.LOGIN_SERVER ?? 'http://localhost:8000', app: credentials })

const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'info' } })
await app.register(login.fastify) // decorates request.user, logs through app.log

// Signed-in users only: others are redirected to the sign-in page (GET) or get 401.
app.get('/me', { preHandler: login.required() }, async request => request.user)

// Everyone: request.user is null when signed out.
app.get('/maybe', { preHandler: login.optional() }, async request => ({ user: request.user }))

// A namespace owned by test:127.0.0.1, as in the predecessor's README: invite people to it
// at http://localhost:8000/login/access/view/invite.
await login.ensure('test_group', 'test:127.0.0.1')
app.get('/access_profile', { preHandler: login.required({ group: 'test_group' }) }, async request => request.user)

// Groups computed from the request: blocked users never see images, others need read access.
await login.ensure('chat', 'test:127.0.0.1')
app.get(
  '/chats/:dm/images/:img',
  {
    preHandler: login.required({
      group: req =>
        `!chat/${req.params.dm}/blocked & chat/${req.params.dm}/${req.user.id}/${req.params.img}/read_access`,
    }),
  },
  async request => ({ image: request.params.img, viewer: request.user.name }),
)

// Everything under /private requires sign-in.
await app.register(
  async scope => {
    scope.addHook('preHandler', login.required())
    scope.get('/hello', async request => `hello ${request.user.name}`)
  },
  { prefix: '/private' },
)

await app.listen({ host: process.env.HOST ?? 'localhost', port: Number(process.env.PORT ?? 8080) })
