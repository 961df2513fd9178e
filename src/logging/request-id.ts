import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

// Anything else (too long, spaces, quotes) could forge or break log lines, so it is replaced.
const SANE_REQUEST_ID = /^[\w.:@/+=-]{1,128}$/;

/**
 * Fastify's `genReqId`: keeps the caller's (or the proxy's) X-Request-Id when it looks like an
 * identifier, so one id follows a request across services; otherwise a fresh UUID.
 */
export function requestIdFor(request: IncomingMessage): string {
  const incoming = request.headers[REQUEST_ID_HEADER];
  return typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}
