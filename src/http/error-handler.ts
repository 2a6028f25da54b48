import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import type { LoginErrorCode } from 'modular-login-client/errors'
import { STATUS_CODES } from 'node:http'
import { errors, isLoginError } from '../errors.js'
import { wantsHtml } from './html.js'
import { logAnsweredError, noteRefusal, requestLog } from './logging.js'
import { renderErrorPage } from './views.js'

interface Answer {
  statusCode: number
  code: LoginErrorCode
  message: string
}

/** Maps anything thrown to a stable code: our own errors as they are, Fastify's 4xx as bad requests, the rest as internal. */
function classify(error: FastifyError): Answer {
  if (isLoginError(error)) return { statusCode: error.statusCode ?? 500, code: error.code, message: error.message }
  if (error.validation) return { statusCode: 400, code: 'LOGIN_ERR_BAD_REQUEST', message: error.message }
  const status = error.statusCode ?? 500
  if (status >= 400 && status < 500) {
    const code =
      status === 429 ? 'LOGIN_ERR_RATE_LIMITED' : status === 404 ? 'LOGIN_ERR_NOT_FOUND' : 'LOGIN_ERR_BAD_REQUEST'
    return { statusCode: status, code, message: error.message }
  }
  const internal = new errors.Internal()
  return { statusCode: 500, code: internal.code, message: internal.message }
}

/** Sends `{statusCode, error, message, code}` or a readable page; never a stack trace. */
export function sendError(
  request: FastifyRequest,
  reply: FastifyReply,
  answer: Answer,
): FastifyReply | Promise<FastifyReply> {
  if (answer.statusCode < 500) noteRefusal(request, answer)
  logAnsweredError(request, answer.statusCode)
  if (answer.code === 'LOGIN_ERR_UNAUTHENTICATED' && request.method === 'GET' && wantsHtml(request)) {
    return reply.redirect(`/login?next=${encodeURIComponent(request.url)}`)
  }
  if (wantsHtml(request)) return renderErrorPage(request, reply, answer.statusCode, answer)
  return reply
    .code(answer.statusCode)
    .type('application/json; charset=utf-8')
    .send({
      statusCode: answer.statusCode,
      error: STATUS_CODES[answer.statusCode] ?? 'Error',
      message: answer.message,
      code: answer.code,
    })
}

export function errorHandler(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply | Promise<FastifyReply> {
  const answer = classify(error)
  if (answer.statusCode >= 500) requestLog(request).error({ err: error }, 'request failed')
  return sendError(request, reply, answer)
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): FastifyReply | Promise<FastifyReply> {
  return sendError(request, reply, {
    statusCode: 404,
    code: 'LOGIN_ERR_NOT_FOUND',
    message: `No route ${request.method} ${request.url.split('?')[0]}`,
  })
}
