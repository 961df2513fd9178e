import type { FastifyRequest } from 'fastify';

/** Who is asking, as recorded on sessions and audit events. */
export interface RequestContext {
  ip: string | null;
  userAgent: string | null;
}

export function requestContext(request: FastifyRequest): RequestContext {
  const userAgent = request.headers['user-agent'];
  return {
    ip: request.ip ? request.ip.slice(0, 64) : null,
    userAgent: typeof userAgent === 'string' ? userAgent.slice(0, 512) : null,
  };
}
