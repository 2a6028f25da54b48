// Module hooks registered by test/setup/preload.mjs when tap runs a TypeScript test file: the file
// resolves to its compiled twin in build/; everything it imports from there on is compiled already.
let from
let to

export function initialize(data) {
  ;({ from, to } = data)
}

export async function resolve(specifier, context, next) {
  if (specifier === from) return { url: to, shortCircuit: true }
  return next(specifier, context)
}
