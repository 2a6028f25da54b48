import type { FastifyInstance, FastifyRequest } from 'fastify'
import { requireUser } from '../signed-in/current-user.js'
import type { SignedIn } from '../signed-in/signed-in.js'
import { renderPage } from './views.js'

/** What the signed-in user can see of one resource, as JSON at `path` and as a page at `/view<path>`. */
export interface Listing<Item> {
  /** The JSON route, relative to the plugin's prefix; the page is the same path under `/view`. */
  path: string
  /** The items, in their JSON shape, which the page shows too. */
  load(signedIn: SignedIn): Promise<Item[]>
  /** The page's template under `templates/`, its title, and what it shows besides (or instead of) the items. */
  page: {
    template: string
    title: string
    data(
      items: Item[],
      signedIn: SignedIn,
      request: FastifyRequest,
    ): Record<string, unknown> | Promise<Record<string, unknown>>
  }
}

/**
 * Registers a listing's JSON route and its page together, so that every
 * page has its JSON twin (docs/access-groups.md, "Endpoints") by construction.
 */
export function listingRoutes<Item>(app: FastifyInstance, listing: Listing<Item>): void {
  app.get(listing.path, async (request, reply) => listing.load(await requireUser(request, reply)))
  app.get(`/view${listing.path}`, async (request, reply) => {
    const signedIn = await requireUser(request, reply)
    const items = await listing.load(signedIn)
    const data = await listing.page.data(items, signedIn, request)
    return renderPage(request, reply, listing.page.template, { title: listing.page.title, ...data })
  })
}
