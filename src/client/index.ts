export { createLoginClient, type LoginClient } from './login.js'
export {
  LoginCore,
  type AuthenticateInput,
  type AuthResult,
  type Denial,
  type EnsuredNamespace,
  type GrantedMembership,
  type GrantLimits,
  type GroupOption,
  type LoginClientOptions,
  type LoginUser,
} from './core.js'
export {
  fastifyGuard,
  fastifyPlugin,
  type FastifyGroupRequest,
  type FastifyGuardOptions,
  type FastifyLoginHook,
} from './fastify.js'
export { nodeMiddleware, type LoginMiddleware, type LoginRequest, type MiddlewareOptions } from './node.js'
export { readCookie, serializeCookie, type CookieSpec } from './cookies.js'
export { consoleLogger, silentLogger, type LoginLogger } from './log.js'
export { ServerError, UnavailableError } from './connection.js'
export { CloseCode, PROTOCOL_VERSION, type GroupExpression } from '../realtime/protocol.js'
