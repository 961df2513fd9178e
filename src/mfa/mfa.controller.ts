import { Body, Controller, Delete, HttpCode, Post } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuthenticatedUser } from '../auth/authenticated-user';
import { CurrentUser } from '../auth/decorators/current-user.decorator';
import { SessionTokenOnly } from '../auth/decorators/session-token-only.decorator';
import { ApiBearerAccess } from '../common/api-bearer-access.decorator';
import { ApiProblemResponse } from '../common/api-problem-response.decorator';
import { RequestContext } from '../common/request-context';
import { RequestMeta } from '../common/request-meta.decorator';
import { DisableTotpDto, EnrolTotpDto, MfaCodeDto } from './dto/mfa-requests.dto';
import { RecoveryCodesResponse, TotpEnrolmentResponse } from './dto/mfa.responses';
import { MfaEnrolment } from './mfa-enrolment.service';

const WRONG_PASSWORD_LIMIT =
  'Too many wrong passwords for this account, here or at the token endpoint; see Retry-After';
const WRONG_CODE_LIMIT = 'Too many wrong codes for this account or address; see Retry-After';

@ApiTags('me')
@ApiBearerAccess()
@SessionTokenOnly()
@Controller('users/me/mfa')
export class MfaController {
  constructor(private readonly enrolment: MfaEnrolment) {}

  @Post('totp')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Start enrolling a TOTP authenticator app',
    description:
      'Answers the secret (shown this once) as text, as an otpauth:// URI and as a QR code. ' +
      'Nothing changes until POST /users/me/mfa/totp/confirm; starting again replaces it.',
  })
  @ApiOkResponse({ type: TotpEnrolmentResponse })
  @ApiProblemResponse(401, 'Wrong current password, or a missing, invalid or expired token')
  @ApiProblemResponse(409, 'A second factor is already enabled')
  @ApiProblemResponse(429, WRONG_PASSWORD_LIMIT)
  enrol(
    @CurrentUser() caller: AuthenticatedUser,
    @Body() body: EnrolTotpDto,
    @RequestMeta() context: RequestContext,
  ): Promise<TotpEnrolmentResponse> {
    return this.enrolment.enrol(caller, body.currentPassword, context);
  }

  @Post('totp/confirm')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Turn the second factor on with a first code from the app',
    description:
      'Answers ten recovery codes, shown this once. Every other session of yours ends; this one stays.',
  })
  @ApiOkResponse({ type: RecoveryCodesResponse })
  @ApiProblemResponse(400, 'The code is incorrect')
  @ApiProblemResponse(409, 'No enrolment is pending (none started, or older than an hour)')
  @ApiProblemResponse(429, WRONG_CODE_LIMIT)
  async confirm(
    @CurrentUser() caller: AuthenticatedUser,
    @Body() body: MfaCodeDto,
    @RequestMeta() context: RequestContext,
  ): Promise<RecoveryCodesResponse> {
    return { recoveryCodes: await this.enrolment.confirm(caller, body.code, context) };
  }

  @Delete('totp')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Turn the second factor off',
    description:
      'Needs your password and a code (TOTP or recovery code). The recovery codes die with it; ' +
      'every other session of yours ends, this one stays.',
  })
  @ApiNoContentResponse({ description: 'Turned off' })
  @ApiProblemResponse(400, 'The code is incorrect')
  @ApiProblemResponse(401, 'Wrong current password, or a missing, invalid or expired token')
  @ApiProblemResponse(409, 'No second factor is enabled')
  @ApiProblemResponse(429, `${WRONG_PASSWORD_LIMIT}; or ${WRONG_CODE_LIMIT}`)
  disable(
    @CurrentUser() caller: AuthenticatedUser,
    @Body() body: DisableTotpDto,
    @RequestMeta() context: RequestContext,
  ): Promise<void> {
    return this.enrolment.disable(caller, body.currentPassword, body.code, context);
  }

  @Post('recovery-codes')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Replace your recovery codes',
    description: 'Needs a code (TOTP or recovery code). The old recovery codes stop working.',
  })
  @ApiOkResponse({ type: RecoveryCodesResponse })
  @ApiProblemResponse(400, 'The code is incorrect')
  @ApiProblemResponse(409, 'No second factor is enabled')
  @ApiProblemResponse(429, WRONG_CODE_LIMIT)
  async regenerate(
    @CurrentUser() caller: AuthenticatedUser,
    @Body() body: MfaCodeDto,
    @RequestMeta() context: RequestContext,
  ): Promise<RecoveryCodesResponse> {
    return {
      recoveryCodes: await this.enrolment.regenerateRecoveryCodes(caller, body.code, context),
    };
  }
}
