import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

// Anything else (too long, spaces, quotes) could forge or break log lines, so it is replaced.
const SANE_REQUEST_ID = /^[\w.:@/+=-]{1,128}$/;

/** Keeps a sane incoming X-Request-Id, so that one id follows a request across services. */
export function requestIdFor(request: IncomingMessage): string {
  const incoming = request.headers[REQUEST_ID_HEADER];
  return typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}
