import { ApiProperty } from '@nestjs/swagger';
import { Client } from '../entities/client.entity';

export class ClientResponse {
  @ApiProperty()
  clientId: string;

  @ApiProperty()
  name: string;

  @ApiProperty({ type: [String] })
  scopes: string[];

  @ApiProperty({ type: [String] })
  grants: string[];

  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

export class CreatedClientResponse extends ClientResponse {
  @ApiProperty({ description: 'Shown once: only its hash is stored' })
  clientSecret: string;
}

export function toClientResponse(client: Client): ClientResponse {
  return {
    clientId: client.clientId,
    name: client.name,
    scopes: client.scopes,
    grants: client.grants,
    createdAt: client.createdAt.toISOString(),
  };
}
