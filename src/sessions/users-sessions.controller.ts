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
import { AdminOnly } from '../auth/decorators/admin-only.decorator';
import { CurrentUser } from '../auth/decorators/current-user.decorator';
import { Initiated } from '../auth/decorators/initiated.decorator';
import { ApiProblemResponse } from '../common/api-problem-response.decorator';
import { ApiUuidParam } from '../common/api-uuid-param.decorator';
import { linkNextPage, NEXT_PAGE_LINK } from '../common/next-page-link';
import { Initiator } from '../events/security-event';
import { ListSessionsQuery } from './dto/list-sessions.query';
import { SessionResponse, toSessionResponse } from './dto/session.response';
import { SessionsService } from './sessions.service';

const Uuid = (name: string) => Param(name, new ParseUUIDPipe());

@ApiTags('users (admin)')
@AdminOnly()
@Controller('users/:id/sessions')
export class UsersSessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Get()
  @ApiOperation({ summary: "A user's active sessions, newest first" })
  @ApiUuidParam('id')
  @ApiOkResponse({ type: [SessionResponse], headers: NEXT_PAGE_LINK })
  @ApiProblemResponse(400, 'A limit out of bounds, or a cursor this list did not give')
  @ApiProblemResponse(404, 'No such user')
  async list(
    @Uuid('id') userId: string,
    @CurrentUser() caller: AuthenticatedUser,
    @Query() query: ListSessionsQuery,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SessionResponse[]> {
    const { items, next } = await this.sessions.listForExistingUser(userId, query);
    linkNextPage(request, reply, next);
    return items.map((session) => toSessionResponse(session, caller.sessionId));
  }

  @Delete(':sessionId')
  @HttpCode(204)
  @ApiOperation({ summary: "End one of a user's sessions: its tokens stop working at once" })
  @ApiUuidParam('id')
  @ApiUuidParam('sessionId')
  @ApiNoContentResponse({ description: 'Ended' })
  @ApiProblemResponse(404, 'No such user, or no active session of theirs with that id')
  end(
    @Uuid('id') userId: string,
    @Uuid('sessionId') sessionId: string,
    @Initiated() initiator: Initiator,
  ): Promise<void> {
    return this.sessions.endForUser(userId, sessionId, initiator, 'admin');
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({ summary: 'End every session of a user (personal access tokens stay)' })
  @ApiUuidParam('id')
  @ApiNoContentResponse({ description: 'All ended' })
  @ApiProblemResponse(404, 'No such user')
  endAll(@Uuid('id') userId: string, @Initiated() initiator: Initiator): Promise<void> {
    return this.sessions.endAllForUser(userId, initiator, 'admin');
  }
}
