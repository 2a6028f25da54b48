export { createLoginClient, type LoginClient } from './login.js'
export { LoginCore } from './core.js'
export { GroupCalls } from './groups.js'
export type {
  AuthenticateInput,
  AuthResult,
  Denial,
  EnsuredNamespace,
  GrantedMembership,
  GrantLimits,
  GroupOption,
  LoginClientOptions,
  LoginUser,
} from './types.js'
export { systemClock, type Clock } from './clock.js'
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
export { LOGIN_ERROR_STATUS, isLoginErrorCode, type LoginErrorCode } from './errors.js'
export { CloseCode, PROTOCOL_VERSION, type GroupExpression } from './protocol.js'
