import type { FastifyRequest } from 'fastify';
import pino, { DestinationStream, Logger } from 'pino';

// Requests are serialized to a few fields below; these paths are the second line, catching a secret
// passed to a logger call by mistake.
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
    'mfa_token',
    'otp',
    'recovery_code',
    'recoveryCodes',
    'otpauthUri',
  ].flatMap((field) => [field, `*.${field}`]),
];

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

export function createRootLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: {
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
