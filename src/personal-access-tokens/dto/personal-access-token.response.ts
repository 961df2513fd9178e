import { ApiProperty } from '@nestjs/swagger';
import { PersonalAccessToken } from '../entities/personal-access-token.entity';

export class PersonalAccessTokenResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty()
  name: string;

  @ApiProperty({ type: [String], example: ['profile'] })
  scopes: string[];

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time', description: 'An expired token is listed until purged' })
  expiresAt: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Accurate to within a minute; null if never used',
  })
  lastUsedAt: string | null;
}

export class CreatedPersonalAccessTokenResponse extends PersonalAccessTokenResponse {
  @ApiProperty({
    example: 'pat_…(49 base62 characters)',
    description: 'Shown once: only its hash is stored. Send it as `Authorization: Bearer pat_...`',
  })
  token: string;
}

export function toPersonalAccessTokenResponse(
  token: PersonalAccessToken,
  lastUsedAt = token.lastUsedAt,
): PersonalAccessTokenResponse {
  return {
    id: token.id,
    name: token.name,
    scopes: token.scopes,
    createdAt: token.createdAt.toISOString(),
    expiresAt: token.expiresAt.toISOString(),
    lastUsedAt: lastUsedAt?.toISOString() ?? null,
  };
}
