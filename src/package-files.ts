import { fileURLToPath } from 'node:url'

/**
 * The package root, found from this file's place: `src/package-files.ts` under the
 * TypeScript loader and `dist/package-files.js` once compiled are both one level
 * down, so templates and migrations resolve the same way in both.
 */
export const packageRoot = fileURLToPath(new URL('..', import.meta.url))

export const templatesDir = fileURLToPath(new URL('../templates/', import.meta.url))
export const migrationsDir = fileURLToPath(new URL('../src/storage/migrations/', import.meta.url))
