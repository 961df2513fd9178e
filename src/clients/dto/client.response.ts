import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Client } from '../entities/client.entity';

/** RFC 7591's names: how the client authenticates at the token endpoint. */
export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'none'] as const;

export class ClientResponse {
  @ApiProperty()
  clientId: string;

  @ApiProperty()
  name: string;

  @ApiProperty({ type: [String] })
  scopes: string[];

  @ApiProperty({ type: [String] })
  grants: string[];

  @ApiProperty({ description: 'No secret; it sends its client_id alone' })
  public: boolean;

  @ApiProperty({
    enum: CLIENT_AUTH_METHODS,
    description: 'client_secret_basic: HTTP Basic, or client_secret_post (the secret in the body)',
  })
  tokenEndpointAuthMethod: (typeof CLIENT_AUTH_METHODS)[number];

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Until when the secret replaced by the last rotation still works',
  })
  previousSecretExpiresAt: string | null;
}

export class RotatedSecretResponse {
  @ApiProperty()
  clientId: string;

  @ApiProperty({ description: 'Shown once: only its hash is stored' })
  clientSecret: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'The old secret works until then (CLIENT_SECRET_OVERLAP); null: no overlap',
  })
  previousSecretExpiresAt: string | null;
}

export class CreatedClientResponse extends ClientResponse {
  @ApiPropertyOptional({
    description: 'Shown once: only its hash is stored. None for a public client',
  })
  clientSecret?: string;
}

export function toClientResponse(client: Client): ClientResponse {
  return {
    clientId: client.clientId,
    name: client.name,
    scopes: client.scopes,
    grants: client.grants,
    public: client.public,
    tokenEndpointAuthMethod: client.public ? 'none' : 'client_secret_basic',
    createdAt: client.createdAt.toISOString(),
    previousSecretExpiresAt:
      client.previousSecretExpiresAt && client.previousSecretExpiresAt > new Date()
        ? client.previousSecretExpiresAt.toISOString()
        : null,
  };
}
