import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { RequestContext, requestContext } from './request-context';

/** The caller's IP and user agent, for sessions and audit records. */
export const RequestMeta = createParamDecorator(
  (_data: unknown, context: ExecutionContext): RequestContext =>
    requestContext(context.switchToHttp().getRequest<FastifyRequest>()),
);
