import { ApiProperty } from '@nestjs/swagger';

/** RFC 8414 section 2, the members this server publishes. */
export class AuthorizationServerMetadataResponse {
  @ApiProperty({ example: 'https://auth.example.com' })
  issuer: string;

  @ApiProperty({ example: 'https://auth.example.com/auth/token' })
  token_endpoint: string;

  @ApiProperty({ example: 'https://auth.example.com/auth/revoke' })
  revocation_endpoint: string;

  @ApiProperty({ example: 'https://auth.example.com/auth/introspect' })
  introspection_endpoint: string;

  @ApiProperty({ example: 'https://auth.example.com/.well-known/jwks.json' })
  jwks_uri: string;

  @ApiProperty({ type: [String], example: ['password', 'refresh_token', 'client_credentials'] })
  grant_types_supported: string[];

  @ApiProperty({ type: [String], example: ['none'], description: 'No authorization endpoint' })
  response_types_supported: string[];

  @ApiProperty({ type: [String], example: ['profile'] })
  scopes_supported: string[];

  @ApiProperty({
    type: [String],
    example: ['client_secret_basic', 'client_secret_post', 'none'],
  })
  token_endpoint_auth_methods_supported: string[];

  @ApiProperty({
    type: [String],
    example: ['client_secret_basic', 'client_secret_post', 'none'],
  })
  revocation_endpoint_auth_methods_supported: string[];

  @ApiProperty({ type: [String], example: ['client_secret_basic', 'client_secret_post'] })
  introspection_endpoint_auth_methods_supported: string[];
}
