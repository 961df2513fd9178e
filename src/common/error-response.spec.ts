import {
  BadRequestException,
  ForbiddenException,
  Logger,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { toErrorResponse } from './error-response';
import { InvalidAccessTokenException } from '../auth/invalid-access-token.exception';
import { OAuthException } from './oauth.exception';
import { RequestValidationException } from './request-validation.exception';

/** The route's config, and what a log line names; a whole FastifyRequest is not needed. */
function requestTo(
  route: 'oauth' | 'api',
  headers: Record<string, string> = {},
  readableAborted = false,
): FastifyRequest {
  const config = route === 'oauth' ? { oauthErrors: true } : {};
  return {
    id: 'req-7',
    method: 'GET',
    url: '/users/me?access_token=secret',
    headers,
    raw: { readableAborted },
    socket: { remoteAddress: '127.0.0.1' },
    routeOptions: { config },
  } as unknown as FastifyRequest;
}

/** What Fastify throws for a body over `bodyLimit`; its message is not meant for the client. */
function fastifyError(statusCode: number, message: string, code: string): Error {
  return Object.assign(new Error(message), { statusCode, code });
}

describe('toErrorResponse', () => {
  let logged: jest.SpyInstance;

  beforeEach(() => {
    logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  describe('problem details (RFC 9457) outside the OAuth endpoints', () => {
    it('answers an HttpException with its status, title and message as problem+json', () => {
      expect(
        toErrorResponse(new NotFoundException('No user has that id'), requestTo('api')),
      ).toEqual({
        status: 404,
        contentType: 'application/problem+json; charset=utf-8',
        headers: {},
        body: {
          type: 'about:blank',
          title: 'Not Found',
          status: 404,
          detail: 'No user has that id',
        },
      });
    });

    it('joins the messages of a validation-style BadRequestException', () => {
      const exception = new BadRequestException(['email must be an email', 'fullName is too long']);

      expect(toErrorResponse(exception, requestTo('api')).body).toEqual({
        type: 'about:blank',
        title: 'Bad Request',
        status: 400,
        detail: 'email must be an email; fullName is too long',
      });
    });

    it('lists the field errors of a RequestValidationException in errors[]', () => {
      const fieldErrors = [
        { field: 'password', message: 'must be at least 15 characters long' },
        { field: 'password', message: 'is too common: it appears in lists of breached passwords' },
      ];

      const response = toErrorResponse(
        new RequestValidationException(fieldErrors),
        requestTo('api'),
      );

      expect(response.status).toBe(400);
      expect(response.contentType).toBe('application/problem+json; charset=utf-8');
      expect(response.body).toEqual({
        type: 'about:blank',
        title: 'Bad Request',
        status: 400,
        detail:
          'must be at least 15 characters long; is too common: it appears in lists of breached passwords',
        errors: fieldErrors,
      });
    });

    it('answers a plain Error with a generic 500 and logs, but never shows, its message', () => {
      const internal = new Error('SQLITE_ERROR: no such table: users (SELECT "passwordHash" ...)');

      const response = toErrorResponse(internal, requestTo('api'));

      expect(response).toEqual({
        status: 500,
        contentType: 'application/problem+json; charset=utf-8',
        headers: {},
        body: {
          type: 'about:blank',
          title: 'Internal Server Error',
          status: 500,
          detail: 'An unexpected error occurred',
        },
      });
      expect(JSON.stringify(response)).not.toMatch(/SQLITE|passwordHash|Error:/);
      expect(logged).toHaveBeenCalledWith(
        { req: { id: 'req-7', method: 'GET', url: '/users/me', remoteAddress: '127.0.0.1' } },
        expect.stringContaining('SQLITE_ERROR'),
      );
    });

    it('answers a thrown non-Error value with the same generic 500', () => {
      expect(toErrorResponse('a string from a careless dependency', requestTo('api')).body).toEqual(
        {
          type: 'about:blank',
          title: 'Internal Server Error',
          status: 500,
          detail: 'An unexpected error occurred',
        },
      );
      expect(logged).toHaveBeenCalledWith({
        req: expect.objectContaining({ id: 'req-7' }),
        err: 'a string from a careless dependency',
      });
    });

    it('sends WWW-Authenticate: Bearer without an error code on a 401 when no token was sent', () => {
      const response = toErrorResponse(
        new UnauthorizedException('A bearer access token is required'),
        requestTo('api'),
      );

      expect(response.status).toBe(401);
      expect(response.headers).toEqual({ 'WWW-Authenticate': 'Bearer realm="portcullis"' });
    });

    it('sends WWW-Authenticate with error="invalid_token" for InvalidAccessTokenException', () => {
      const response = toErrorResponse(new InvalidAccessTokenException(), requestTo('api'));

      expect(response.status).toBe(401);
      expect(response.headers['WWW-Authenticate']).toMatch(/^Bearer realm="portcullis", /);
      expect(response.headers['WWW-Authenticate']).toContain('error="invalid_token"');
    });

    it('sends no WWW-Authenticate on a 403', () => {
      expect(toErrorResponse(new ForbiddenException(), requestTo('api')).headers).toEqual({});
    });

    it('answers a Fastify 413 with the fixed size-limit text, never the error message', () => {
      const tooLarge = fastifyError(
        413,
        'Request body is too large: {"password":"hunter2hunter2hunter2"',
        'FST_ERR_CTP_BODY_TOO_LARGE',
      );

      const response = toErrorResponse(tooLarge, requestTo('api'));

      expect(response.status).toBe(413);
      expect(response.body).toEqual({
        type: 'about:blank',
        title: 'Payload Too Large',
        status: 413,
        detail: 'The request body is larger than the 64 KiB limit',
      });
      expect(JSON.stringify(response)).not.toContain('hunter2');
    });

    it('answers a Fastify body parse error with the fixed text, never the quoted body', () => {
      const unparsable = fastifyError(
        400,
        'Unexpected token } in JSON at position 31: {"password":"hunter2hunter2hunter2"}',
        'FST_ERR_CTP_INVALID_JSON_BODY',
      );

      const response = toErrorResponse(unparsable, requestTo('api'));

      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ detail: 'The request body could not be parsed' });
      expect(JSON.stringify(response)).not.toContain('hunter2');
    });

    it('answers a URL the router cannot read as such, not as a body that could not be parsed', () => {
      const badUrl = fastifyError(
        400,
        "'/users/%ZZ?token=secret' is not a valid url component",
        'FST_ERR_BAD_URL',
      );

      const response = toErrorResponse(badUrl, requestTo('api'));

      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({
        detail: 'The URL is not valid: malformed percent-encoding',
      });
      expect(JSON.stringify(response)).not.toContain('secret');
    });

    it('treats a Fastify-like error with a 5xx statusCode as an internal error', () => {
      const response = toErrorResponse(
        fastifyError(500, 'plugin crashed', 'FST_ERR_X'),
        requestTo('api'),
      );

      expect(response.status).toBe(500);
      expect(response.body).toMatchObject({ detail: 'An unexpected error occurred' });
    });
  });

  it('answers a body the client stopped sending with 400, not as a database outage', () => {
    const reset = Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
    const warned = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);

    expect(toErrorResponse(reset, requestTo('api', {}, true))).toMatchObject({ status: 400 });
    expect(toErrorResponse(reset, requestTo('api'))).toMatchObject({ status: 503 });
    expect(warned).toHaveBeenCalledTimes(1);
  });

  describe('OAuth error bodies (RFC 6749 section 5.2) on routes with oauthErrors', () => {
    it('answers an OAuthException with {error, error_description} and no-store headers', () => {
      const exception = new OAuthException('invalid_grant', 'Incorrect username or password', 401);

      const response = toErrorResponse(exception, requestTo('oauth'));

      expect(response.status).toBe(401);
      expect(response.contentType).toBe('application/json; charset=utf-8');
      expect(response.body).toEqual({
        error: 'invalid_grant',
        error_description: 'Incorrect username or password',
      });
      expect(response.headers).toMatchObject({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });
      expect(response.headers['WWW-Authenticate']).toMatch(/^Bearer /);
    });

    it("adds an error's extra members after error and error_description (mfa_required)", () => {
      const exception = new OAuthException('mfa_required', 'A second factor is required', 403, {
        parameters: { mfa_token: 'opaque' },
      });

      const { status, body } = toErrorResponse(exception, requestTo('oauth'));

      expect(status).toBe(403);
      expect(JSON.stringify(body)).toBe(
        '{"error":"mfa_required","error_description":"A second factor is required","mfa_token":"opaque"}',
      );
    });

    it('challenges with Basic on a 401 invalid_client to a client that used Basic', () => {
      const exception = new OAuthException('invalid_client', 'Client authentication failed', 401);
      const request = requestTo('oauth', { authorization: 'Basic cGNfeDp5' });

      expect(toErrorResponse(exception, request).headers).toEqual({
        'Cache-Control': 'no-store',
        Pragma: 'no-cache',
        'WWW-Authenticate': 'Basic realm="portcullis"',
      });
    });

    it('challenges with Bearer, not Basic, on a 401 invalid_client to a client that did not use Basic', () => {
      const exception = new OAuthException('invalid_client', 'Client authentication failed', 401);

      expect(toErrorResponse(exception, requestTo('oauth')).headers['WWW-Authenticate']).toBe(
        'Bearer realm="portcullis"',
      );
    });

    it('maps a RequestValidationException to invalid_request with its messages', () => {
      const exception = new RequestValidationException([
        { field: 'username', message: 'username must be a string' },
      ]);

      const response = toErrorResponse(exception, requestTo('oauth'));

      expect(response.status).toBe(400);
      expect(response.body).toEqual({
        error: 'invalid_request',
        error_description: 'username must be a string',
      });
      expect(response.headers).toEqual({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });
    });

    it.each([
      [
        'a ForbiddenException',
        new ForbiddenException('This account is disabled'),
        403,
        'access_denied',
      ],
      ['a plain Error', new Error('connection refused'), 500, 'server_error'],
    ])('maps %s to status %i and error %s', (_name, exception, status, error) => {
      const response = toErrorResponse(exception, requestTo('oauth'));

      expect(response.status).toBe(status);
      expect(response.body).toMatchObject({ error });
      expect(JSON.stringify(response.body)).not.toContain('connection refused');
    });

    it('answers a Fastify 413 on the token endpoint as invalid_request with the fixed text', () => {
      const tooLarge = fastifyError(413, 'Request body is too large', 'FST_ERR_CTP_BODY_TOO_LARGE');

      const response = toErrorResponse(tooLarge, requestTo('oauth'));

      expect(response.status).toBe(413);
      expect(response.body).toEqual({
        error: 'invalid_request',
        error_description: 'The request body is larger than the 64 KiB limit',
      });
      expect(response.headers).toMatchObject({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });
    });
  });
});
