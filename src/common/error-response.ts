import { HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { loggedRequest } from '../logging/root-logger';
import { isDatabaseUnavailable } from './database-unavailable';
import { InvalidAccessTokenException } from '../auth/invalid-access-token.exception';
import { isOAuthRoute } from './oauth-route';
import { REQUEST_TIMEOUT_DETAIL } from './request-deadlines';
import { OAuthErrorCode, OAuthException } from './oauth.exception';
import { FieldError, RequestValidationException } from './request-validation.exception';

export const REALM = 'portcullis';

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
}

export interface OAuthErrorBody {
  error: OAuthErrorCode;
  error_description: string;
  [parameter: string]: string;
}

export interface ErrorResponse {
  status: number;
  contentType: string;
  headers: Record<string, string>;
  body: ProblemDetails | OAuthErrorBody;
}

interface FastifyLikeError {
  statusCode: number;
  code?: string;
}

function isFastifyError(exception: unknown): exception is FastifyLikeError {
  return (
    exception instanceof Error &&
    typeof (exception as Partial<FastifyLikeError>).statusCode === 'number'
  );
}

// Fastify's parse errors quote the body (a password, say), so only these fixed texts are shown.
export const FASTIFY_DETAILS: Readonly<Record<number, string>> = {
  400: 'The request body could not be parsed',
  408: REQUEST_TIMEOUT_DETAIL,
  413: 'The request body is larger than the 64 KiB limit',
  415: 'The request body has an unsupported content type',
};

const FASTIFY_URL_DETAILS: Readonly<Record<string, string>> = {
  FST_ERR_BAD_URL: 'The URL is not valid: malformed percent-encoding',
  FST_ERR_MAX_PARAM_LENGTH: 'A path parameter is too long',
};

export const DATABASE_UNAVAILABLE_DETAIL =
  'The service is temporarily unavailable; try again shortly';
export const RETRY_AFTER_SECONDS = '5';

const logger = new Logger('ErrorResponse');

function httpExceptionDetail(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') {
    return response;
  }
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) {
    return message.join('; ');
  }
  return typeof message === 'string' ? message : exception.message;
}

function statusAndDetail(
  exception: unknown,
  request: FastifyRequest,
): { status: number; detail: string } {
  if (exception instanceof HttpException) {
    return { status: exception.getStatus(), detail: httpExceptionDetail(exception) };
  }
  if (isFastifyError(exception) && exception.statusCode >= 400 && exception.statusCode < 500) {
    const status = exception.statusCode;
    const detail =
      FASTIFY_URL_DETAILS[exception.code ?? ''] ??
      FASTIFY_DETAILS[status] ??
      STATUS_CODES[status] ??
      'Bad request';
    return { status, detail };
  }
  // The client went away while its body was being read: nothing is wrong here, and no one is
  // left to answer (a reset socket looks like a database's otherwise).
  if (request.raw.readableAborted) {
    return { status: HttpStatus.BAD_REQUEST, detail: 'The request was aborted by the client' };
  }
  if (isDatabaseUnavailable(exception)) {
    // Fail closed: nothing was issued or stored; the client may retry once the database is back.
    logger.warn(
      { req: loggedRequest(request) },
      `Database unavailable: ${String((exception as { message?: unknown }).message)}`,
    );
    return { status: HttpStatus.SERVICE_UNAVAILABLE, detail: DATABASE_UNAVAILABLE_DETAIL };
  }
  // Log calls carry no request context (no AsyncLocalStorage), so the request is named.
  if (exception instanceof Error) {
    logger.error({ req: loggedRequest(request) }, exception.stack ?? exception.message);
  } else {
    logger.error({ req: loggedRequest(request), err: exception });
  }
  return { status: HttpStatus.INTERNAL_SERVER_ERROR, detail: 'An unexpected error occurred' };
}

function oauthErrorCode(status: number): OAuthErrorCode {
  if (status === 401) {
    return 'invalid_client';
  }
  if (status === 403) {
    return 'access_denied';
  }
  if (status === 503) {
    return 'temporarily_unavailable';
  }
  if (status === 429) {
    return 'slow_down';
  }
  return status >= 500 ? 'server_error' : 'invalid_request';
}

/** RFC 6749 bodies on the OAuth endpoints, RFC 9457 problem details elsewhere. */
export function toErrorResponse(exception: unknown, request: FastifyRequest): ErrorResponse {
  const { status, detail } = statusAndDetail(exception, request);
  const headers: Record<string, string> = {};
  if (status === 503) {
    headers['Retry-After'] = RETRY_AFTER_SECONDS;
  }
  const { retryAfterSeconds } = exception as { retryAfterSeconds?: unknown };
  if (exception instanceof HttpException && typeof retryAfterSeconds === 'number') {
    headers['Retry-After'] = String(retryAfterSeconds);
  }

  if (isOAuthRoute(request)) {
    const error = exception instanceof OAuthException ? exception.error : oauthErrorCode(status);
    headers['Cache-Control'] = 'no-store';
    headers['Pragma'] = 'no-cache';
    if (status === 401) {
      // RFC 6749 section 5.2: a Basic challenge only to a client that used Basic; to one that
      // sent its credentials in the body, a browser would answer it with its own login dialog.
      headers['WWW-Authenticate'] =
        error === 'invalid_client' && /^Basic(\s|$)/i.test(request.headers.authorization ?? '')
          ? `Basic realm="${REALM}"`
          : `Bearer realm="${REALM}"`;
    }
    return {
      status,
      contentType: 'application/json; charset=utf-8',
      headers,
      body: {
        error,
        error_description: detail,
        ...(exception instanceof OAuthException ? exception.parameters : undefined),
      },
    };
  }

  if (status === 401) {
    headers['WWW-Authenticate'] =
      exception instanceof InvalidAccessTokenException
        ? `Bearer realm="${REALM}", error="invalid_token", error_description="${detail}"`
        : `Bearer realm="${REALM}"`;
  }
  const body: ProblemDetails = {
    type: 'about:blank',
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail,
  };
  if (exception instanceof RequestValidationException) {
    body.errors = exception.fieldErrors;
  }
  return { status, contentType: 'application/problem+json; charset=utf-8', headers, body };
}
