import { Controller, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Roles } from '../auth/decorators/roles.decorator';
import { ApiBearerAccess } from '../common/api-bearer-access.decorator';
import { ApiProblemResponse } from '../common/api-problem-response.decorator';
import { ADMIN_ROLE } from '../users/users.service';
import { SigningKeysService } from './signing-keys.service';
import { AuthenticatedUser } from '../auth/authenticated-user';
import { CurrentUser } from '../auth/decorators/current-user.decorator';
import { RequestContext } from '../common/request-context';
import { RequestMeta } from '../common/request-meta.decorator';
import { SecurityEvents } from '../events/security-events.service';

export class RotatedKeyResponse {
  @ApiProperty({ example: 'm3Jc8Qe1b2r0Vt9x', description: 'The `kid` of the new signing key' })
  kid: string;
}

@ApiTags('keys (admin)')
@ApiBearerAccess({ admin: true })
@Roles(ADMIN_ROLE)
@Controller('keys')
export class KeysController {
  constructor(
    private readonly keys: SigningKeysService,
    private readonly events: SecurityEvents,
  ) {}

  @Post('rotate')
  @ApiOperation({
    summary: 'Sign new tokens with a new key',
    description:
      'The new key is in the JWKS at once and signs after KEY_PUBLISH_DELAY (default 0); the ' +
      'old key stays in the JWKS until its last token has expired.',
  })
  @ApiCreatedResponse({ type: RotatedKeyResponse })
  @ApiProblemResponse(409, 'JWT_ALG=HS256: the key is JWT_SECRET, rotated by deploying a new one')
  async rotate(
    @CurrentUser() caller: AuthenticatedUser,
    @RequestMeta() context: RequestContext,
  ): Promise<RotatedKeyResponse> {
    const { kid } = await this.keys.rotate();
    await this.events.publish({
      type: 'key_rotated',
      context,
      detail: { kid, actorId: caller.id },
    });
    return { kid };
  }
}
