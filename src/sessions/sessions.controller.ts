import {
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuthenticatedUser } from '../auth/authenticated-user';
import { CurrentUser } from '../auth/decorators/current-user.decorator';
import { TokenScope } from '../auth/decorators/token-scope.decorator';
import { ApiBearerAccess } from '../common/api-bearer-access.decorator';
import { ApiProblemResponse } from '../common/api-problem-response.decorator';
import { ApiUuidParam } from '../common/api-uuid-param.decorator';
import { linkNextPage, NEXT_PAGE_LINK } from '../common/next-page-link';
import { Initiated } from '../auth/decorators/initiated.decorator';
import { Initiator } from '../events/security-event';
import { PROFILE_SCOPE } from '../oauth/scopes';
import { ListSessionsQuery } from './dto/list-sessions.query';
import { SessionResponse, toSessionResponse } from './dto/session.response';
import { SessionsService } from './sessions.service';

@ApiTags('me')
@ApiBearerAccess()
@TokenScope(PROFILE_SCOPE)
@Controller('users/me/sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Get()
  @ApiOperation({
    summary: 'Your active sessions, newest first: one per login (refresh-token family)',
  })
  @ApiOkResponse({ type: [SessionResponse], headers: NEXT_PAGE_LINK })
  @ApiProblemResponse(400, 'A limit out of bounds, or a cursor this list did not give')
  async list(
    @CurrentUser() caller: AuthenticatedUser,
    @Query() query: ListSessionsQuery,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SessionResponse[]> {
    const { items, next } = await this.sessions.listForUser(caller.account, query);
    linkNextPage(request, reply, next);
    return items.map((session) => toSessionResponse(session, caller.sessionId));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'End one session: its refresh and access tokens stop working' })
  @ApiUuidParam('id')
  @ApiNoContentResponse({ description: 'Ended' })
  @ApiProblemResponse(404, 'No such session of yours')
  revoke(
    @CurrentUser() caller: AuthenticatedUser,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Initiated() initiator: Initiator,
  ): Promise<void> {
    return this.sessions.endForUser(caller.id, id, initiator);
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({ summary: 'End every session, this one included' })
  @ApiNoContentResponse({ description: 'All ended' })
  revokeAll(
    @CurrentUser() caller: AuthenticatedUser,
    @Initiated() initiator: Initiator,
  ): Promise<void> {
    return this.sessions.endAllForUser(caller.id, initiator);
  }
}
