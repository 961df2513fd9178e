import {
  Body,
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
} from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { AuthenticatedUser } from '../auth/authenticated-user';
import { CurrentUser } from '../auth/decorators/current-user.decorator';
import { Initiated } from '../auth/decorators/initiated.decorator';
import { SessionTokenOnly } from '../auth/decorators/session-token-only.decorator';
import { TokenScope } from '../auth/decorators/token-scope.decorator';
import { ApiBearerAccess } from '../common/api-bearer-access.decorator';
import { ApiProblemResponse } from '../common/api-problem-response.decorator';
import { ApiUuidParam } from '../common/api-uuid-param.decorator';
import { Initiator } from '../events/security-event';
import { PROFILE_SCOPE } from '../oauth/scopes';
import { CreatePersonalAccessTokenDto } from './dto/create-personal-access-token.dto';
import {
  CreatedPersonalAccessTokenResponse,
  PersonalAccessTokenResponse,
} from './dto/personal-access-token.response';
import { PersonalAccessTokenViews } from './personal-access-token-views';
import { PersonalAccessTokensService } from './personal-access-tokens.service';

@ApiTags('me')
@ApiBearerAccess()
@TokenScope(PROFILE_SCOPE)
@Controller('users/me/tokens')
export class PersonalAccessTokensController {
  constructor(
    private readonly tokens: PersonalAccessTokensService,
    private readonly views: PersonalAccessTokenViews,
  ) {}

  @Post()
  @SessionTokenOnly()
  // A secret in the answer: no cache may keep it (as RFC 6749 section 5.1 asks of tokens).
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Make a personal access token for a script; the token is shown once',
    description:
      'Send it as `Authorization: Bearer pat_...`. It works until it expires or is revoked, ' +
      'across password changes; disabling or deleting the account ends it.',
  })
  @ApiCreatedResponse({ type: CreatedPersonalAccessTokenResponse })
  @ApiProblemResponse(400, 'Invalid name, scopes or expiresAt')
  @ApiProblemResponse(409, 'Too many live personal access tokens: revoke one first')
  async create(
    @CurrentUser() caller: AuthenticatedUser,
    @Body() body: CreatePersonalAccessTokenDto,
    @Initiated() initiator: Initiator,
  ): Promise<CreatedPersonalAccessTokenResponse> {
    const { row, token } = await this.tokens.create(caller.account, body, initiator);
    // In the contract's order: the token right after what names it.
    const { id, name, ...rest } = this.views.of(row);
    return { id, name, token, ...rest };
  }

  @Get()
  @ApiOperation({ summary: 'Your personal access tokens (never the tokens themselves)' })
  @ApiOkResponse({ type: [PersonalAccessTokenResponse] })
  list(@CurrentUser() caller: AuthenticatedUser): Promise<PersonalAccessTokenResponse[]> {
    return this.views.list(this.tokens.listForUser(caller.id));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke one of your personal access tokens, at once' })
  @ApiUuidParam('id')
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiProblemResponse(404, 'No unrevoked personal access token of yours has that id')
  revoke(
    @CurrentUser() caller: AuthenticatedUser,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Initiated() initiator: Initiator,
  ): Promise<void> {
    return this.tokens.revokeForUser(caller.id, id, 'owner', initiator);
  }
}
