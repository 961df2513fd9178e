import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/decorators/public.decorator';
import { JwksResponse } from './dto/jwks.response';
import { PublicJwk } from './key-ring';
import { SigningKeysService } from './signing-keys.service';

@ApiTags('discovery')
@Controller('.well-known')
export class JwksController {
  constructor(private readonly keys: SigningKeysService) {}

  @Public()
  @Get('jwks.json')
  @ApiOperation({
    summary: 'Public keys that verify access tokens (RFC 7517); empty with HS256',
    description:
      'The current key, any key waiting out KEY_PUBLISH_DELAY, and retired keys whose tokens may ' +
      'still be alive. Cacheable for 300 s, or less when KEY_PUBLISH_DELAY is shorter.',
  })
  @ApiOkResponse({ type: JwksResponse, description: 'Public members only' })
  jwks(@Res({ passthrough: true }) reply: FastifyReply): { keys: PublicJwk[] } {
    void reply.header('Cache-Control', `public, max-age=${this.keys.jwksMaxAge()}`);
    return this.keys.jwks();
  }
}
