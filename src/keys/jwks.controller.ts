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
      'The current key, the next key (published before it signs), and retired keys whose tokens ' +
      'may still be alive. Cacheable for as long as the next key has been published, at most 300 s.',
  })
  @ApiOkResponse({ type: JwksResponse, description: 'Public members only' })
  async jwks(@Res({ passthrough: true }) reply: FastifyReply): Promise<{ keys: PublicJwk[] }> {
    const { keys, maxAge } = await this.keys.publishedKeys();
    void reply.header('Cache-Control', `public, max-age=${maxAge}`);
    return { keys };
  }
}
