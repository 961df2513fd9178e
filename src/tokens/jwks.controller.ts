import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/decorators/public.decorator';
import { PublicJwk, SigningKeysService } from './signing-keys.service';

@ApiTags('discovery')
@Controller('.well-known')
export class JwksController {
  constructor(private readonly keys: SigningKeysService) {}

  @Public()
  @Get('jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({ summary: 'Public keys that verify access tokens (RFC 7517); empty with HS256' })
  @ApiOkResponse({ description: '`{ keys: [...] }` with public members only' })
  jwks(): { keys: PublicJwk[] } {
    return this.keys.jwks();
  }
}
