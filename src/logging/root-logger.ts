import type { FastifyRequest } from 'fastify';
import pino, { DestinationStream, Logger } from 'pino';

/**
 * Everything that may carry a credential. Requests are serialized to a few fields below, so these
 * paths are the second line: they also catch a secret passed to a logger call by mistake.
 */
const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'req.body',
  'req.query',
  ...[
    'password',
    'newPassword',
    'currentPassword',
    'access_token',
    'refresh_token',
    'token',
    'client_secret',
    'clientSecret',
    'secret',
    'authorization',
  ].flatMap((field) => [field, `*.${field}`]),
];

/** A request as every log line shows it. */
export interface LoggedRequest {
  id: string;
  method: string;
  url: string;
  remoteAddress?: string;
}

function withoutQuery(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

// No headers, no query string and no body: tokens and passwords travel in all three.
export function loggedRequest(request: FastifyRequest): LoggedRequest {
  return {
    id: request.id,
    method: request.method,
    url: withoutQuery(request.url),
    remoteAddress: request.socket.remoteAddress,
  };
}

/**
 * The one pino instance of the process: Nest's logger (through nestjs-pino) and the access log
 * both write to it, so every line has the same shape, level and redaction.
 */
export function createRootLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: {
      // Whatever reaches a log call under `req` or `res` is cut down to these fields.
      req: (request: LoggedRequest): LoggedRequest => ({
        id: request.id,
        method: request.method,
        url: withoutQuery(request.url),
        remoteAddress: request.remoteAddress,
      }),
      res: (response: { statusCode: number }) => ({ statusCode: response.statusCode }),
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
