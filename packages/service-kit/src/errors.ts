import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/** The body of every 4xx and 5xx answer; 5xx never carries internals, only the request id to grep logs by. */
export const ErrorResponse = {
  $id: 'ErrorResponse',
  type: 'object',
  required: ['statusCode', 'error', 'message', 'requestId'],
  properties: {
    statusCode: { type: 'integer' },
    error: { type: 'string' },
    message: { type: 'string' },
    code: { type: 'string' },
    requestId: { type: 'string' },
  },
} as const;

export const errorResponseRef = { $ref: 'ErrorResponse#' } as const;

export class HttpError extends Error {
  readonly statusCode: number;
  readonly code: string;
  constructor(statusCode: number, code: string, message: string) {
    super(message);
    this.statusCode = statusCode;
    this.code = code;
  }
}

export function sendError(
  error: Pick<FastifyError, 'message' | 'code' | 'statusCode'>,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const statusCode = error.statusCode !== undefined && error.statusCode >= 400 ? error.statusCode : 500;
  const clientError = statusCode < 500;
  if (clientError) {
    request.log.info({ statusCode, code: error.code, reason: error.message }, 'request rejected');
  } else if (error instanceof HttpError) {
    // Failures we raise on purpose (/error, fault injection) need no stack trace in the log.
    request.log.error({ statusCode, code: error.code, reason: error.message }, 'request failed');
  } else {
    request.log.error({ err: error }, 'request failed');
  }
  return reply.code(statusCode).send({
    statusCode,
    error: STATUS_CODES[statusCode] ?? 'Error',
    // A 5xx message comes from our own code (HttpError) or from an unexpected throw: only the former is safe to show.
    message: clientError || error instanceof HttpError ? error.message : 'internal error; see the server log',
    code: error.code,
    requestId: String(request.id),
  });
}
