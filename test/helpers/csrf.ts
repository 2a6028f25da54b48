import type { FastifyInstance } from 'fastify'

/** The CSRF token a page's forms carry (their hidden `_csrf` field), or throws. */
export function formTokenIn(html: string): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1]
  if (!token) throw new Error(`no form token in ${html}`)
  return token
}

/** The form token of the session of `cookie`, read from the signed-in page at `path`. */
export async function formToken(app: FastifyInstance, cookie: string, path = '/login/view/sessions'): Promise<string> {
  const page = await app.inject({ url: path, headers: { cookie } })
  return formTokenIn(page.body)
}
