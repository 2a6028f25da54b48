import fastifyStatic from '@fastify/static'
import type { FastifyInstance } from 'fastify'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { packageRoot } from '../package-files.js'

const PREFIX = '/login/static/'
const root = join(packageRoot, 'static')
const versions = new Map<string, string>()

/**
 * `/login/static/<name>?v=<content hash>`. A changed file gets a new URL,
 * so browsers may keep every version for a year without asking again.
 */
export function assetUrl(name: string): string {
  let version = versions.get(name)
  if (version === undefined) {
    version = createHash('sha256')
      .update(readFileSync(join(root, name)))
      .digest('base64url')
      .slice(0, 12)
    versions.set(name, version)
  }
  return `${PREFIX}${name}?v=${version}`
}

/** Serves `static/` (stylesheet, icon, page scripts) under /login/static/: one route per file, nothing else. */
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
}
