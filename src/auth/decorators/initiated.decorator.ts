import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { requestContext } from '../../common/request-context';
import { Initiator } from '../../events/security-event';
import { AuthenticatedUser } from '../authenticated-user';

export const Initiated = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Initiator => {
    const request = context
      .switchToHttp()
      .getRequest<FastifyRequest & { user?: AuthenticatedUser }>();
    return { context: requestContext(request), actorId: request.user?.id };
  },
);
