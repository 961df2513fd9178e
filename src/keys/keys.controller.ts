import { AdminOnly } from '../auth/decorators/admin-only.decorator';
import { Controller, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Initiated } from '../auth/decorators/initiated.decorator';
import { ApiProblemResponse } from '../common/api-problem-response.decorator';
import { Initiator } from '../events/security-event';
import { KeyRotationService } from './key-rotation.service';

export class RotatedKeyResponse {
  @ApiProperty({ example: 'm3Jc8Qe1b2r0Vt9x', description: 'The `kid` of the key that now signs' })
  kid: string;
}

@ApiTags('keys (admin)')
@AdminOnly()
@Controller('keys')
export class KeysController {
  constructor(private readonly rotation: KeyRotationService) {}

  @Post('rotate')
  @ApiOperation({
    summary: 'Sign new tokens with the next key, published since the previous rotation',
    description:
      'Promotes the next key and publishes a new next key. The previous key stays in the JWKS ' +
      'until its last token has expired.',
  })
  @ApiCreatedResponse({ type: RotatedKeyResponse })
  @ApiProblemResponse(409, 'JWT_ALG=HS256: the key is JWT_SECRET, rotated by deploying a new one')
  rotate(@Initiated() initiator: Initiator): Promise<RotatedKeyResponse> {
    return this.rotation.rotate(initiator);
  }
}
