import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toErrorResponse } from './error-response';

/** Registered as APP_FILTER, so in-process tests see exactly what production answers. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendErrorResponse(
      exception,
      http.getRequest<FastifyRequest>(),
      http.getResponse<FastifyReply>(),
    );
  }
}

export function sendErrorResponse(
  exception: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const { status, contentType, headers, body } = toErrorResponse(exception, request);
  void reply.status(status).headers(headers).type(contentType).send(body);
}
