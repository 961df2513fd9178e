import { AdminOnly } from '../auth/decorators/admin-only.decorator';
import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblemResponse } from '../common/api-problem-response.decorator';
import { AuditService } from './audit.service';
import { AuditEventResponse, toAuditEventResponse } from './dto/audit-event.response';
import { ListAuditQuery } from './dto/list-audit.query';

@ApiTags('audit (admin)')
@AdminOnly()
@Controller('audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOperation({ summary: 'Security events, newest first; page with ?before=<last id>' })
  @ApiOkResponse({ type: [AuditEventResponse] })
  @ApiProblemResponse(400, 'A filter that is not a UUID or an event type, or a limit out of bounds')
  async list(@Query() query: ListAuditQuery): Promise<AuditEventResponse[]> {
    return (await this.audit.list(query)).map(toAuditEventResponse);
  }
}
