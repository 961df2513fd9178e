import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, ValidateIf } from 'class-validator';
import { ClientGrant, ClientGrants, ClientName, ClientScopes } from './client-fields';

export class CreateClientDto {
  @ClientName({ optional: false })
  name: string;

  @ClientScopes({ optional: false })
  scopes: string[];

  @ClientGrants('Default: client_credentials; for a public client, password and refresh_token')
  grants?: ClientGrant[];

  // Swagger UI would otherwise pre-fill `true`.
  @ApiPropertyOptional({
    example: false,
    description: 'A first-party app that cannot keep a secret: no secret, no client_credentials',
  })
  @ValidateIf((_object: object, value: unknown) => value !== undefined)
  @IsBoolean()
  public?: boolean;
}
