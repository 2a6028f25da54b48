import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import { repoPath } from './repo.js'
import { tempDir } from './temp-dir.js'
import { within } from './wait.js'
import type { Teardown } from './teardown.js'

const NGINX = '/usr/sbin/nginx'

/**
 * Why nginx tests cannot run here (null when they can). Under CI a missing
 * nginx throws: a skipped test would hide a broken setup.
 */
export function nginxMissing(): string | null {
  if (existsSync(NGINX)) return null
  if (process.env.CI === 'true')
    throw new Error(`nginx is required under CI: ${NGINX} is missing (apt-get install nginx-light)`)
  return `${NGINX} is not installed`
}

/** The ```nginx block of docs/forward-auth.md, "nginx": an upstream and a server, for the http context. */
export function documentedNginxBlock(): string {
  const page = readFileSync(repoPath('docs', 'forward-auth.md'), 'utf8')
  const block = /```nginx\n([\s\S]*?)```/.exec(page)
  if (!block) throw new Error('docs/forward-auth.md has no nginx block')
  return block[1]!
}

/** What a test changes in the documented block besides the ports. */
export interface NginxOptions {
  /** The names its `server` answers to (`localhost` unless given). */
  serverNames?: readonly string[]
  /** The upstream's `keepalive_timeout`, in nginx's units (the documented 4 s unless given). */
  upstreamIdle?: string
}

/**
 * Runs the nginx block of docs/forward-auth.md (an upstream and a server)
 * in a real nginx on 127.0.0.1 (a free port, picked before the login server
 * is built so that its public URL can name it), with the login server at
 * `loginPort` and the app at `appPort`; stopped when `t` ends. Resolves,
 * with the folder holding its error.log, once nginx answers.
 */
export async function startNginx(
  t: Teardown,
  port: number,
  loginPort: number,
  appPort: number,
  options: NginxOptions = {},
): Promise<{ dir: string }> {
  const dir = tempDir(t, 'login-nginx-')
  for (const temp of ['body', 'proxy']) mkdirSync(join(dir, temp))
  let block = documentedNginxBlock()
    .replaceAll('127.0.0.1:8000', `127.0.0.1:${loginPort}`)
    .replaceAll('127.0.0.1:8080', `127.0.0.1:${appPort}`)
    .replace('listen 80;', `listen 127.0.0.1:${port};`)
    .replace(/server_name [^;]*;/, `server_name ${(options.serverNames ?? ['localhost']).join(' ')};`)
  if (options.upstreamIdle) block = block.replace('keepalive_timeout 4s;', `keepalive_timeout ${options.upstreamIdle};`)
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/proxy;
  uwsgi_temp_path ${dir}/proxy;
  scgi_temp_path ${dir}/proxy;
${block}
}
`,
  )
  const nginx = spawn(NGINX, ['-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  nginx.stderr.on('data', chunk => (stderr += chunk))
  const exited = once(nginx, 'exit')
  t.teardown(async () => {
    if (nginx.exitCode === null) {
      nginx.kill('SIGKILL')
      await exited
    }
  })
  // Ready when it answers; a config it refuses ends the process at once.
  await within(
    60_000,
    async () => {
      if (nginx.exitCode !== null) throw new Error(`nginx exited ${nginx.exitCode}: ${stderr}`)
      return fetch(`http://127.0.0.1:${port}/login/health`).then(
        r => r.ok,
        () => false,
      )
    },
    50,
  )
  return { dir }
}

/** An answer read whole. */
export interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/**
 * A GET from another loopback address (`from`, such as 127.0.0.2), so that
 * nginx, the login server and the visitor each have an address of their
 * own; never follows redirects.
 */
export function getFrom(from: string, url: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { localAddress: from, headers }, response => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', chunk => (body += chunk))
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }))
      response.on('error', reject)
    })
    outgoing.on('error', reject)
    outgoing.end()
  })
}
