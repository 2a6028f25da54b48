/**
 * Building blocks of the routes' Fastify JSON schemas. Every input a route
 * reads (query, path parameters, body) is declared, so that a wrong shape
 * (`?group=a&group=b` parses to an array, a JSON object where a string was
 * expected, a string longer than anything legitimate) is refused with a 400
 * naming the field before a handler sees it. Nothing is coerced (see
 * `buildApp`): a JSON number is not an id, and a field that a form may send
 * once or several times is declared as either.
 *
 * The schemas check shapes; what a value means (a `next` URL, a group
 * expression) is checked where it is read, with that area's own error code.
 */

/** Longest string accepted in any field not given its own bound (`next` URLs are at most 2048). */
export const MAX_TEXT = 4096

export function text(maxLength = MAX_TEXT) {
  return { type: 'string', maxLength } as const
}

/** A value that may come once or repeated (the reader decides what a repeat means). */
export function oneOrMore(maxLength = MAX_TEXT) {
  return { type: ['string', 'array'], maxLength, items: text(maxLength), maxItems: 10 } as const
}

/** A list of ids: a JSON array, or a form field sent once (one id) or repeated (several). */
export function idArray(maxItems = 1000) {
  return { type: ['string', 'array'], maxLength: 100, items: text(100), maxItems } as const
}

/** The form token: its checks (and a repeated one's refusal) are the CSRF guard's. */
const csrfField = oneOrMore(100)

/** An object schema of the named fields, any others allowed (and ignored). */
export function fields(properties: Record<string, object>) {
  return { type: 'object', properties } as const
}

/**
 * A value whose every check (a repeat, its length, what it means) is made
 * where it is read, with that area's own error code: `next` URLs
 * (`LOGIN_ERR_BAD_NEXT`), group expressions (`LOGIN_ERR_BAD_EXPRESSION`).
 */
export const readByItsOwner = { type: ['string', 'array'], items: { type: 'string' }, maxItems: 10 } as const

/** Query string with `?next=` only. */
export const nextQuery = fields({ next: readByItsOwner })

/** A path with one named parameter. */
export function param(name: string, maxLength = 200) {
  return fields({ [name]: text(maxLength) })
}

/**
 * A body that an HTML form (with its `_csrf` token) or an API client (as
 * JSON) may send: the form's fields and the JSON body are described
 * separately; a request without a body is not validated.
 */
export function formOrJson(form: Record<string, object>, json: object = fields(form)) {
  return bodyOf(formFields(form), json)
}

/** A body as an HTML form (`form`, which must allow `_csrf`: see `formFields`) or as JSON (`json`). */
export function bodyOf(form: object, json: object) {
  return {
    content: {
      'application/x-www-form-urlencoded': { schema: form },
      'application/json': { schema: json },
    },
  }
}

/** The fields of an HTML form, with its token. */
export function formFields(properties: Record<string, object>) {
  return fields({ ...properties, _csrf: csrfField })
}

/** A yes/no field: JSON booleans, or the strings forms send (`on`, `true`, ...), which the handler reads. */
export const yesNo = { type: ['boolean', 'string'], maxLength: 10 } as const

/** Ids to act on: `{<key>: [ids], ...options}` from a form or JSON, or a bare JSON array of ids. */
export function idsBody(key: string, options: Record<string, object> = {}) {
  const form = { [key]: idArray(), ...options }
  return formOrJson(form, { ...fields(form), type: ['object', 'array'], items: text(100), maxItems: 1000 })
}
