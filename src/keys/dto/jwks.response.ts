import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** A public signing key (RFC 7517); the members present depend on its type (RFC 7518, RFC 8037). */
export class PublicJwkResponse {
  @ApiProperty({ enum: ['RSA', 'EC', 'OKP'] })
  kty: string;

  @ApiProperty({ example: 'm3Jc8Qe1b2r0Vt9x' })
  kid: string;

  @ApiProperty({ enum: ['RS256', 'ES256', 'EdDSA'] })
  alg: string;

  @ApiProperty({ enum: ['sig'] })
  use: 'sig';

  @ApiPropertyOptional({ description: 'RSA: the modulus, base64url' })
  n?: string;

  @ApiPropertyOptional({ description: 'RSA: the public exponent, base64url' })
  e?: string;

  @ApiPropertyOptional({ enum: ['P-256', 'Ed25519'], description: 'EC and OKP: the curve' })
  crv?: string;

  @ApiPropertyOptional({ description: 'EC and OKP: the x coordinate or public key, base64url' })
  x?: string;

  @ApiPropertyOptional({ description: 'EC: the y coordinate, base64url' })
  y?: string;
}

export class JwksResponse {
  @ApiProperty({ type: [PublicJwkResponse] })
  keys: PublicJwkResponse[];
}
