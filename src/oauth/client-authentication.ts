import { HttpStatus, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ClientsService } from '../clients/clients.service';
import { Client } from '../clients/entities/client.entity';
import { OAuthException } from '../common/oauth.exception';

interface PresentedCredentials {
  clientId: string;
  clientSecret: string;
}

export function invalidClient(): OAuthException {
  return new OAuthException(
    'invalid_client',
    'Client authentication failed',
    HttpStatus.UNAUTHORIZED,
  );
}

/** RFC 6749 appendix B: Basic credentials are form-encoded before base64. */
function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

function fromBasicHeader(request: FastifyRequest): PresentedCredentials | undefined {
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

/** From HTTP Basic or the body (RFC 6749 section 2.3.1); both at once is refused, as it requires. */
function presentedCredentials(
  request: FastifyRequest,
  body: { client_id?: string; client_secret?: string },
): PresentedCredentials | undefined {
  const basic = fromBasicHeader(request);
  const inBody = body.client_id
    ? { clientId: body.client_id, clientSecret: body.client_secret ?? '' }
    : undefined;
  // client_id beside Basic only names the same client again (RFC 6749 section 2.3.1 forbids two
  // methods, and a secret is what makes one).
  if (basic && (body.client_secret || (inBody && inBody.clientId !== basic.clientId))) {
    throw new OAuthException('invalid_request', 'Use one client authentication method, not two');
  }
  return basic ?? inBody;
}

/** A grant the client was not registered for is refused before it costs anything else. */
export function requireGrant(client: Client, grant: string): void {
  if (!client.grants.includes(grant)) {
    throw new OAuthException('unauthorized_client', `This client may not use the ${grant} grant`);
  }
}

@Injectable()
export class ClientAuthentication {
  constructor(private readonly clients: ClientsService) {}

  async authenticate(
    request: FastifyRequest,
    body: { client_id?: string; client_secret?: string },
  ): Promise<Client | undefined> {
    const credentials = presentedCredentials(request, body);
    if (!credentials) {
      return undefined;
    }
    const client = await this.clients.authenticate(credentials.clientId, credentials.clientSecret);
    if (!client) {
      throw invalidClient();
    }
    return client;
  }
}
