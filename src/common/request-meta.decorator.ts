import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { RequestContext, requestContext } from './request-context';

export const RequestMeta = createParamDecorator(
  (_data: unknown, context: ExecutionContext): RequestContext =>
    requestContext(context.switchToHttp().getRequest<FastifyRequest>()),
);
