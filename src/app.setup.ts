import { Logger as NestLogger, UnsupportedMediaTypeException } from '@nestjs/common';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import type { Logger as RootLogger } from 'pino';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { drainHandlersOnClose } from './common/drain-on-close';
import { armBodyDeadline, clientErrorHandler } from './common/request-deadlines';
import { isOAuthRoute } from './common/oauth-route';
import { sendErrorResponse } from './common/problem-details.filter';
import { securityHeaders, securityHeadersFor } from './platform/security-headers';
import { OperationsConfig, operationsConfig } from './config/operations.config';
import { trustProxySetting } from './config/throttling.config';
import { accessLog } from './logging/access-log';
import { OperatorLogger } from './logging/operator-logger';
import { ROOT_LOGGER } from './logging/logging.module';
import { REQUEST_ID_HEADER, requestIdFor } from './logging/request-id';
import { setupSwagger } from './swagger';

const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

/** Refused with 413 before parsing (docs/api.md, Limits). */
export const BODY_LIMIT_BYTES = 64 * 1024;

const SECURITY_HEADERS = securityHeaders();

/** Set before anything else runs, so errors carry them too. */
function setCommonHeaders(request: FastifyRequest, reply: FastifyReply): void {
  void reply
    .headers(securityHeadersFor(SECURITY_HEADERS, request.url))
    .header(REQUEST_ID_HEADER, request.id);
}

type ErrorHandler = Parameters<FastifyAdapter['setErrorHandler']>[0];

// Nest would turn Fastify's own errors (body too large, unparsable, unsupported type) into
// HttpExceptions carrying Fastify's message, which may quote the body: they skip Nest's filter.
class FastifyErrorsAdapter extends FastifyAdapter {
  override setErrorHandler(
    nestHandler: ErrorHandler,
  ): ReturnType<FastifyAdapter['setErrorHandler']> {
    const handler: ErrorHandler = function (this: FastifyInstance, error, request, reply) {
      if (error instanceof Error && error.name === 'FastifyError') {
        sendErrorResponse(error, request, reply);
        return;
      }
      void nestHandler.call(this, error, request, reply);
    };
    return super.setErrorHandler(handler);
  }
}

export function createFastifyAdapter(): FastifyAdapter {
  const { requestTimeoutMs } = operationsConfig();
  return new FastifyErrorsAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: trustProxySetting(),
    // requestIdFor decides whether an incoming X-Request-Id is kept; Fastify must not trust it raw.
    requestIdHeader: false,
    genReqId: requestIdFor,
    // Slowloris: Node checks requestTimeout every connectionsCheckingInterval (30 s by default),
    // which would let a short timeout run far longer than configured.
    requestTimeout: requestTimeoutMs,
    http: { connectionsCheckingInterval: Math.min(requestTimeoutMs, 5000) },
    connectionTimeout: 2 * requestTimeoutMs,
    // No Nest middleware is applied: @fastify/middie's per-request hook would walk an empty list.
    skipMiddie: true,
    // A URL the router cannot read: without this, refused in Fastify's JSON shape, bare headers.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      setCommonHeaders(request, reply);
      sendErrorResponse(error, request, reply);
    },
    clientErrorHandler: clientErrorHandler(SECURITY_HEADERS.api),
  });
}

/** Shared with the e2e tests. */
export function configureApp(app: NestFastifyApplication): NestFastifyApplication {
  app.useLogger(new OperatorLogger(app.get(Logger)));
  const fastify = app.getHttpAdapter().getInstance();
  const { requestTimeoutMs, corsOrigins } = app.get<OperationsConfig>(operationsConfig.KEY);
  fastify.addHook('onRequest', (request, reply, done) => {
    setCommonHeaders(request, reply);
    armBodyDeadline(request, reply, requestTimeoutMs);
    // JSON everywhere but the OAuth endpoints: a form body is what a cross-site HTML form can post
    // without a CORS preflight.
    const type = request.headers['content-type'];
    if (
      type !== undefined &&
      type.toLowerCase().startsWith(FORM_CONTENT_TYPE) &&
      !isOAuthRoute(request) &&
      !request.is404
    ) {
      done(
        new UnsupportedMediaTypeException('Only the OAuth endpoints take form bodies; send JSON'),
      );
      return;
    }
    done();
  });
  fastify.addHook('onResponse', accessLog(app.get<RootLogger>(ROOT_LOGGER)));
  drainHandlersOnClose(fastify, (running) =>
    new NestLogger('Shutdown').log(`Waiting for requests still running: ${running}`),
  );
  // Fastify parses text/plain by default; no route takes it, so it gets 415 like any other type.
  fastify.removeContentTypeParser('text/plain');
  if (corsOrigins.length > 0) {
    app.enableCors({
      origin: corsOrigins,
      methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type', 'X-Request-Id'],
      exposedHeaders: ['X-Request-Id', 'Retry-After', 'WWW-Authenticate'],
      // Bearer tokens, not cookies: browsers must not attach ambient credentials.
      credentials: false,
      maxAge: 600,
    });
  }
  setupSwagger(app);
  return app;
}
