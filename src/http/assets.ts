import fastifyStatic from '@fastify/static'
import type { FastifyInstance } from 'fastify'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { packageRoot } from '../package-files.js'

const PREFIX = '/login/static/'
const root = join(packageRoot, 'static')
const versions = new Map<string, string>()
/** What fastify-static sends with the files of `static/`, for the files served from packages too. */
const KEPT_A_YEAR = 'public, max-age=31536000, immutable'

/**
 * Page scripts that come from a package rather than from `static/`, under
 * the name the pages use: @simplewebauthn/browser's single-file bundle,
 * which puts `SimpleWebAuthnBrowser` on the page (the passkey ceremonies).
 */
const fromPackages: Record<string, string> = {
  // The package exports only its entry point (script/index.js): the bundle is found beside it.
  'webauthn.js': join(
    dirname(dirname(createRequire(import.meta.url).resolve('@simplewebauthn/browser'))),
    'dist/bundle/index.umd.min.js',
  ),
}

function pathOf(name: string): string {
  return fromPackages[name] ?? join(root, name)
}

/**
 * `/login/static/<name>?v=<content hash>`. A changed file gets a new URL,
 * so browsers may keep every version for a year without asking again.
 */
export function assetUrl(name: string): string {
  let version = versions.get(name)
  if (version === undefined) {
    version = createHash('sha256')
      .update(readFileSync(pathOf(name)))
      .digest('base64url')
      .slice(0, 12)
    versions.set(name, version)
  }
  return `${PREFIX}${name}?v=${version}`
}

/**
 * Serves `static/` (stylesheet, icon, page scripts) and the scripts taken
 * from packages under /login/static/: one route per file, nothing else.
 */
export async function staticAssets(app: FastifyInstance): Promise<void> {
  await app.register(fastifyStatic, {
    root,
    prefix: PREFIX,
    wildcard: false,
    index: false,
    decorateReply: false,
    maxAge: '365d',
    immutable: true,
  })
  for (const name of Object.keys(fromPackages)) {
    const body = readFileSync(pathOf(name))
    app.get(`${PREFIX}${name}`, (_request, reply) =>
      reply.type('text/javascript; charset=utf-8').header('cache-control', KEPT_A_YEAR).send(body),
    )
  }
}
