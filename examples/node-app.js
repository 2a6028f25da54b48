// A plain node:http application protected by modular-login (no framework, no TypeScript).
//
//   ./server.sh debug                                              # the login server, on :8000
//   npx modular-login app add example > run/example-app.json      # once: this app's credentials
//   node examples/node-app.js run/example-app.json                 # this app, on :8081
//
// Express works the same way: app.get('/me', login.middleware(), (req, res) => res.json(req.user)).
//
// It reads: its first argument, the credentials file (run/example-app.json); LOGIN_SERVER, where
// the login server is (http://localhost:8000); HOST and PORT, where this app listens
// (localhost, 8081).
import { createServer } from 'node:http'
import { readFileSync } from 'node:fs'
import { createLoginClient } from 'modular-login-client'

const credentials = JSON.parse(readFileSync(process.argv[2] ?? 'run/example-app.json', 'utf8'))
const login = createLoginClient({ server: process.env.LOGIN_SERVER ?? 'http://localhost:8000', app: credentials })

const signedIn = login.middleware() // redirect / 401 when signed out
const maybe = login.middleware({ required: false }) // req.user = null when signed out
const owners = login.middleware({ group: 'test_group' }) // 403 for non-members

const routes = {
  '/me': [signedIn, req => req.user],
  '/maybe': [maybe, req => ({ user: req.user })],
  '/access_profile': [owners, req => req.user],
}

const server = createServer(async (req, res) => {
  const route = routes[new URL(req.url, 'http://x').pathname]
  if (!route) return res.writeHead(404).end()
  const [guard, handler] = route
  if (!(await guard(req, res))) return // the guard has answered (redirect, 401, 403, 503)
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(handler(req)))
})

await login.ensure('test_group', 'test:127.0.0.1')
server.listen(Number(process.env.PORT ?? 8081), process.env.HOST ?? 'localhost', () => {
  const { port } = server.address()
  console.log(JSON.stringify({ msg: 'example node app listening', url: `http://localhost:${port}` }))
})
