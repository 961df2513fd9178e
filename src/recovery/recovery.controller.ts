import { Body, Controller, Header, HttpCode, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/decorators/public.decorator';
import {
  ApiProblemResponse,
  UNAVAILABLE_DESCRIPTION,
} from '../common/api-problem-response.decorator';
import { RequestContext } from '../common/request-context';
import { RequestMeta } from '../common/request-meta.decorator';
import { AcceptedResponse, RESET_ACCEPTED } from './dto/accepted.response';
import { ConfirmPasswordResetDto } from './dto/confirm-password-reset.dto';
import { PasswordResetRequestDto } from './dto/password-reset-request.dto';
import { VerifyEmailDto } from './dto/verify-email.dto';
import { EmailVerificationService } from './email-verification.service';
import { INVALID_TOKEN, PasswordResetService } from './password-reset.service';

const MAIL_UNAVAILABLE = `Mail delivery is not configured (production without MAIL_URL), or: ${UNAVAILABLE_DESCRIPTION}`;

@ApiTags('auth')
@Public()
@Controller('auth')
export class RecoveryController {
  constructor(
    private readonly resets: PasswordResetService,
    private readonly verification: EmailVerificationService,
  ) {}

  @Post('password-reset')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Ask for a password reset mail',
    description:
      'The same answer, after about the same time, whether or not an account matches; if one ' +
      'does and has an email address, it gets a mail with a single-use link.',
  })
  @ApiAcceptedResponse({ type: AcceptedResponse })
  @ApiProblemResponse(400, 'Neither email nor username, or a malformed one')
  @ApiProblemResponse(429, 'Too many requests from this address or for this name; see Retry-After')
  @ApiProblemResponse(503, MAIL_UNAVAILABLE)
  async request(
    @Body() body: PasswordResetRequestDto,
    @RequestMeta() context: RequestContext,
  ): Promise<AcceptedResponse> {
    await this.resets.request(body, context);
    return RESET_ACCEPTED;
  }

  @Post('password-reset/confirm')
  @HttpCode(204)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Choose a new password with the code from a reset mail',
    description:
      'Every session, refresh token and access token of the account stops working; the email ' +
      'address counts as verified; a "password changed" mail goes out.',
  })
  @ApiNoContentResponse({ description: 'Changed' })
  @ApiProblemResponse(400, `The new password is not acceptable, or: ${INVALID_TOKEN}`)
  @ApiProblemResponse(503, UNAVAILABLE_DESCRIPTION)
  confirm(
    @Body() body: ConfirmPasswordResetDto,
    @RequestMeta() context: RequestContext,
  ): Promise<void> {
    return this.resets.confirm(body.token, body.newPassword, context);
  }

  @Post('verify-email')
  @HttpCode(204)
  @ApiOperation({ summary: 'Confirm an email address with the code from a verification mail' })
  @ApiNoContentResponse({ description: 'emailVerified is now true' })
  @ApiProblemResponse(400, INVALID_TOKEN)
  @ApiProblemResponse(503, UNAVAILABLE_DESCRIPTION)
  verify(@Body() body: VerifyEmailDto, @RequestMeta() context: RequestContext): Promise<void> {
    return this.verification.verify(body.token, context);
  }
}
