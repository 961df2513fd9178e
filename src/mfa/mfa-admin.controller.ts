import { Controller, Delete, HttpCode, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminOnly } from '../auth/decorators/admin-only.decorator';
import { Initiated } from '../auth/decorators/initiated.decorator';
import { ApiProblemResponse } from '../common/api-problem-response.decorator';
import { ApiUuidParam } from '../common/api-uuid-param.decorator';
import { Initiator } from '../events/security-event';
import { MfaEnrolment } from './mfa-enrolment.service';

@ApiTags('users (admin)')
@AdminOnly()
@Controller('users')
export class MfaAdminController {
  constructor(private readonly enrolment: MfaEnrolment) {}

  @Delete(':id/mfa')
  @HttpCode(204)
  @ApiOperation({
    summary: "Remove a user's second factor (a lost device)",
    description: 'The TOTP factor and recovery codes go, and every session of the user ends.',
  })
  @ApiUuidParam('id')
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiProblemResponse(404, 'No such user, or the user has no second factor')
  reset(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Initiated() initiator: Initiator,
  ): Promise<void> {
    return this.enrolment.resetByAdmin(id, initiator);
  }
}
