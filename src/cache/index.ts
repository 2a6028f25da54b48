import type { Cache } from './cache.js'
import { MemcachedCache, type CacheLogger, type MemcachedCacheOptions } from './memcached.js'
import { MemoryCache } from './memory.js'

export type { Cache } from './cache.js'
export { MemcachedCache, type CacheLogger, type MemcachedCacheOptions } from './memcached.js'
export { MemoryCache, type MemoryCacheOptions } from './memory.js'

/**
 * The cache for the configured `memcached` servers, or the in-process one
 * when there are none.
 */
export function createCache(servers: readonly string[], log: CacheLogger, options?: MemcachedCacheOptions): Cache {
  return servers.length > 0 ? new MemcachedCache(servers, log, options) : new MemoryCache()
}
