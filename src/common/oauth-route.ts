import type { FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set on OAuth endpoints: their errors use RFC 6749 bodies instead of problem+json. */
    oauthErrors?: boolean;
  }
}

export function isOAuthRoute(request: FastifyRequest): boolean {
  return request.routeOptions?.config?.oauthErrors === true;
}
