import { Controller, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuthenticatedUser } from '../auth/authenticated-user';
import { AdminOnly } from '../auth/decorators/admin-only.decorator';
import { CurrentUser } from '../auth/decorators/current-user.decorator';
import { Initiated } from '../auth/decorators/initiated.decorator';
import { TokenScope } from '../auth/decorators/token-scope.decorator';
import { ApiBearerAccess } from '../common/api-bearer-access.decorator';
import { ApiProblemResponse } from '../common/api-problem-response.decorator';
import { ApiUuidParam } from '../common/api-uuid-param.decorator';
import { RequestContext } from '../common/request-context';
import { RequestMeta } from '../common/request-meta.decorator';
import { Initiator } from '../events/security-event';
import { PROFILE_SCOPE } from '../oauth/scopes';
import { AcceptedResponse } from './dto/accepted.response';
import { EmailVerificationService } from './email-verification.service';
import { PasswordResetService } from './password-reset.service';

const TOO_MANY = 'Too many mails asked for from this address or for this account; see Retry-After';

@Controller('users')
export class AccountMailController {
  constructor(
    private readonly resets: PasswordResetService,
    private readonly verification: EmailVerificationService,
  ) {}

  @Post('me/email/verification')
  @HttpCode(202)
  @ApiTags('me')
  @ApiBearerAccess()
  @TokenScope(PROFILE_SCOPE)
  @ApiOperation({ summary: 'Send a new verification mail; earlier links stop working' })
  @ApiAcceptedResponse({ type: AcceptedResponse })
  @ApiProblemResponse(409, 'Already verified, or no email address')
  @ApiProblemResponse(429, TOO_MANY)
  async resendVerification(
    @CurrentUser() caller: AuthenticatedUser,
    @RequestMeta() context: RequestContext,
  ): Promise<AcceptedResponse> {
    await this.verification.resend(caller.account, context);
    return { message: 'A verification mail is on its way' };
  }

  @Post(':id/password-reset')
  @HttpCode(202)
  @ApiTags('users (admin)')
  @AdminOnly()
  @ApiOperation({
    summary: 'Mail a user a password reset link (the administrator never sees it)',
  })
  @ApiUuidParam('id')
  @ApiAcceptedResponse({ type: AcceptedResponse })
  @ApiProblemResponse(404, 'No such user')
  @ApiProblemResponse(409, 'The user has no email address')
  @ApiProblemResponse(429, TOO_MANY)
  async resetFor(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Initiated() initiator: Initiator,
  ): Promise<AcceptedResponse> {
    await this.resets.requestFor(id, initiator);
    return { message: 'A password reset mail is on its way' };
  }
}
