import { HttpStatus } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { OAuthException } from '../common/oauth.exception';

export interface PresentedClientCredentials {
  clientId: string;
  clientSecret: string;
}

/** RFC 6749 appendix B: Basic credentials are form-encoded before base64. */
function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

function fromBasicHeader(request: FastifyRequest): PresentedClientCredentials | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(request.headers.authorization ?? '');
  if (!match) {
    return undefined;
  }
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const clientId = formDecode(colon === -1 ? decoded : decoded.slice(0, colon));
  // Swagger UI sends `Basic Og==` (":") when its client fields are left blank: that is no client.
  if (clientId === '') {
    return undefined;
  }
  return { clientId, clientSecret: colon === -1 ? '' : formDecode(decoded.slice(colon + 1)) };
}

/**
 * The client credentials of a request to an OAuth endpoint, from HTTP Basic or the body
 * (RFC 6749 section 2.3.1), or undefined when the request names no client. Using both methods
 * at once is refused, as the RFC requires.
 */
export function presentedClientCredentials(
  request: FastifyRequest,
  body: { client_id?: string; client_secret?: string },
): PresentedClientCredentials | undefined {
  const basic = fromBasicHeader(request);
  const inBody = body.client_id
    ? { clientId: body.client_id, clientSecret: body.client_secret ?? '' }
    : undefined;
  if (basic && (inBody || body.client_secret)) {
    throw new OAuthException('invalid_request', 'Use one client authentication method, not two');
  }
  return basic ?? inBody;
}

export function invalidClient(): OAuthException {
  return new OAuthException(
    'invalid_client',
    'Client authentication failed',
    HttpStatus.UNAUTHORIZED,
  );
}
