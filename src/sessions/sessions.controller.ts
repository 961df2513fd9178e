import { Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuthenticatedUser } from '../auth/authenticated-user';
import { CurrentUser } from '../auth/decorators/current-user.decorator';
import { ApiBearerAccess } from '../common/api-bearer-access.decorator';
import { ApiProblemResponse } from '../common/api-problem-response.decorator';
import { ApiUuidParam } from '../common/api-uuid-param.decorator';
import { SessionResponse, toSessionResponse } from './dto/session.response';
import { SessionsService } from './sessions.service';
import { RequestContext } from '../common/request-context';
import { RequestMeta } from '../common/request-meta.decorator';
import { SecurityEvents } from '../events/security-events.service';

@ApiTags('me')
@ApiBearerAccess()
@Controller('users/me/sessions')
export class SessionsController {
  constructor(
    private readonly sessions: SessionsService,
    private readonly events: SecurityEvents,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Your active sessions: one per login (refresh-token family)' })
  @ApiOkResponse({ type: [SessionResponse] })
  async list(@CurrentUser() caller: AuthenticatedUser): Promise<SessionResponse[]> {
    const sessions = await this.sessions.listForUser(caller.account);
    return sessions.map((session) => toSessionResponse(session, caller.sessionId));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'End one session: its refresh and access tokens stop working' })
  @ApiUuidParam('id')
  @ApiNoContentResponse({ description: 'Ended' })
  @ApiProblemResponse(404, 'No such session of yours')
  async revoke(
    @CurrentUser() caller: AuthenticatedUser,
    @Param('id', new ParseUUIDPipe()) id: string,
    @RequestMeta() context: RequestContext,
  ): Promise<void> {
    await this.sessions.revokeForUser(caller.id, id);
    await this.events.publish({
      type: 'token_revoked',
      userId: caller.id,
      context,
      detail: { tokenType: 'session', sessionId: id },
    });
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({ summary: 'End every session, this one included' })
  @ApiNoContentResponse({ description: 'All ended' })
  async revokeAll(
    @CurrentUser() caller: AuthenticatedUser,
    @RequestMeta() context: RequestContext,
  ): Promise<void> {
    await this.sessions.revokeAllForUser(caller.id);
    await this.events.publish({
      type: 'token_revoked',
      userId: caller.id,
      context,
      detail: { tokenType: 'all_sessions' },
    });
  }
}
