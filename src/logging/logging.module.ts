import { Module, RequestMethod } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { LoggerModule } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { operationsConfig } from '../config/operations.config';

/**
 * Everything that may carry a credential. Requests are serialized to a few fields below, so these
 * paths are the second line: they also catch a secret passed to a logger call by mistake.
 */
export const REDACTED_PATHS = [
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

const QUIET_ROUTES = /^\/(health(\/ready)?|metrics)(\?|$)/;

interface SerializedRequest {
  id: unknown;
  method: string;
  url: string;
  remoteAddress?: string;
}

@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [operationsConfig.KEY],
      useFactory: (operations: ConfigType<typeof operationsConfig>) => ({
        forRoutes: [{ path: '{*splat}', method: RequestMethod.ALL }],
        pinoHttp: {
          level: operations.logLevel,
          // Fastify assigned the id (see requestIdFor); middie copies it onto the raw request.
          genReqId: (request: IncomingMessage) => request.id ?? randomUUID(),
          redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
          serializers: {
            // No headers, no query string and no body: tokens and passwords travel in all three.
            req: (request: SerializedRequest): SerializedRequest => ({
              id: request.id,
              method: request.method,
              url: request.url.split('?')[0],
              remoteAddress: request.remoteAddress,
            }),
            res: (response: { statusCode: number }) => ({ statusCode: response.statusCode }),
          },
          // Probes every few seconds would drown everything else.
          autoLogging: {
            // middie rewrites `url` for mounted middleware; `originalUrl` is what the client sent.
            ignore: (request: IncomingMessage & { originalUrl?: string }) =>
              QUIET_ROUTES.test(request.originalUrl ?? request.url ?? ''),
          },
          customLogLevel: (_request: IncomingMessage, response: ServerResponse, error?: Error) =>
            error || response.statusCode >= 500 ? 'error' : 'info',
        },
      }),
    }),
  ],
})
export class LoggingModule {}
