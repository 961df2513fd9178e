import { AdminOnly } from '../auth/decorators/admin-only.decorator';
import { Controller, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Initiated } from '../auth/decorators/initiated.decorator';
import { ApiProblemResponse } from '../common/api-problem-response.decorator';
import { Initiator } from '../events/security-event';
import { SigningKeysService } from './signing-keys.service';

export class RotatedKeyResponse {
  @ApiProperty({ example: 'm3Jc8Qe1b2r0Vt9x', description: 'The `kid` of the new signing key' })
  kid: string;
}

@ApiTags('keys (admin)')
@AdminOnly()
@Controller('keys')
export class KeysController {
  constructor(private readonly keys: SigningKeysService) {}

  @Post('rotate')
  @ApiOperation({
    summary: 'Sign new tokens with a new key',
    description:
      'The new key is in the JWKS at once and signs after KEY_PUBLISH_DELAY (default 0); the ' +
      'old key stays in the JWKS until its last token has expired.',
  })
  @ApiCreatedResponse({ type: RotatedKeyResponse })
  @ApiProblemResponse(409, 'JWT_ALG=HS256: the key is JWT_SECRET, rotated by deploying a new one')
  async rotate(@Initiated() initiator: Initiator): Promise<RotatedKeyResponse> {
    const { kid } = await this.keys.rotate(initiator);
    return { kid };
  }
}
