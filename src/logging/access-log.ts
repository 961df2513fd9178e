import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { Logger } from 'pino';
import { loggedRequest } from './root-logger';

// Probes every few seconds would drown everything else.
const QUIET_ROUTES = /^\/(health(\/ready)?|metrics)(\?|$)/;

/**
 * Fastify `onResponse` hook: one line per finished request. A hook rather than pino-http
 * middleware because the middleware's child logger and AsyncLocalStorage per request cost about
 * a third of the throughput of a cheap route (issue 5).
 */
export function accessLog(logger: Logger) {
  return function logRequest(
    request: FastifyRequest,
    reply: FastifyReply,
    done: HookHandlerDoneFunction,
  ): void {
    const failed = reply.statusCode >= 500;
    const level = failed ? 'error' : 'info';
    if (logger.isLevelEnabled(level) && !QUIET_ROUTES.test(request.url)) {
      logger[level](
        {
          req: loggedRequest(request),
          res: { statusCode: reply.statusCode },
          responseTime: Math.round(reply.elapsedTime),
        },
        // pino-http's messages, which log queries may already match on.
        failed ? 'request errored' : 'request completed',
      );
    }
    done();
  };
}
