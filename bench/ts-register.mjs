// Lets `node --import ./bench/ts-register.mjs bench/<name>.ts` run the
// TypeScript sources directly, with the same loader tap uses for the tests
// (ts-node, a dependency of tap), after building the client library when its
// sources changed. Type checking is `npm run typecheck`'s job, so this only
// transpiles.
process.env.TS_NODE_TRANSPILE_ONLY ??= '1'
await import('../test/helpers/build-client.mjs')
await import('@isaacs/ts-node-temp-fork-for-pr-2009/import')
