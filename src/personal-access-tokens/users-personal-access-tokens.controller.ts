import { Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminOnly } from '../auth/decorators/admin-only.decorator';
import { Initiated } from '../auth/decorators/initiated.decorator';
import { ApiProblemResponse } from '../common/api-problem-response.decorator';
import { ApiUuidParam } from '../common/api-uuid-param.decorator';
import { Initiator } from '../events/security-event';
import { PersonalAccessTokenResponse } from './dto/personal-access-token.response';
import { PersonalAccessTokenViews } from './personal-access-token-views';
import { PersonalAccessTokensService } from './personal-access-tokens.service';

const Uuid = (name: string) => Param(name, new ParseUUIDPipe());

@ApiTags('users (admin)')
@AdminOnly()
@Controller('users/:id/tokens')
export class UsersPersonalAccessTokensController {
  constructor(
    private readonly tokens: PersonalAccessTokensService,
    private readonly views: PersonalAccessTokenViews,
  ) {}

  @Get()
  @ApiOperation({ summary: "A user's personal access tokens (never the tokens themselves)" })
  @ApiUuidParam('id')
  @ApiOkResponse({ type: [PersonalAccessTokenResponse] })
  @ApiProblemResponse(404, 'No such user')
  list(@Uuid('id') userId: string): Promise<PersonalAccessTokenResponse[]> {
    return this.views.list(this.tokens.listForExistingUser(userId));
  }

  @Delete(':tokenId')
  @HttpCode(204)
  @ApiOperation({ summary: "Revoke one of a user's personal access tokens, at once" })
  @ApiUuidParam('id')
  @ApiUuidParam('tokenId')
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiProblemResponse(404, 'No such user, or no unrevoked token of theirs with that id')
  revoke(
    @Uuid('id') userId: string,
    @Uuid('tokenId') tokenId: string,
    @Initiated() initiator: Initiator,
  ): Promise<void> {
    return this.tokens.revokeForUser(userId, tokenId, 'admin', initiator);
  }
}
