import { AdminOnly } from '../auth/decorators/admin-only.decorator';
import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiProblemResponse } from '../common/api-problem-response.decorator';
import { linkNextPage, NEXT_PAGE_LINK } from '../common/next-page-link';
import { AuditService } from './audit.service';
import { AuditEventResponse, toAuditEventResponse } from './dto/audit-event.response';
import { ListAuditQuery } from './dto/list-audit.query';

@ApiTags('audit (admin)')
@AdminOnly()
@Controller('audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOperation({ summary: 'Security events, newest first; the Link header names the next page' })
  @ApiOkResponse({ type: [AuditEventResponse], headers: NEXT_PAGE_LINK })
  @ApiProblemResponse(
    400,
    'A filter that is not a UUID or an event type, a limit out of bounds, or a foreign cursor',
  )
  async list(
    @Query() query: ListAuditQuery,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AuditEventResponse[]> {
    const { items, next } = await this.audit.list(query);
    linkNextPage(request, reply, next);
    return items.map(toAuditEventResponse);
  }
}
