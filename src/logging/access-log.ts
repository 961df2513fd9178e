import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { Logger } from 'pino';
import { loggedRequest } from './root-logger';

// Probes every few seconds would drown everything else.
const QUIET_ROUTES = /^\/(health(\/ready)?|metrics)(\?|$)/;

// A hook rather than pino-http: its child logger and AsyncLocalStorage per request cost a cheap
// route about a third of its throughput.
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
