import {
  Body,
  Controller,
  Get,
  HttpCode,
  Patch,
  Post,
  Req,
  Res,
  UnauthorizedException,
} from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuthenticatedUser } from '../auth/authenticated-user';
import { CurrentUser } from '../auth/decorators/current-user.decorator';
import { ApiProblemResponse } from '../common/api-problem-response.decorator';
import { ApiBearerAccess } from '../common/api-bearer-access.decorator';
import { ChangePasswordDto } from './dto/change-password.dto';
import { UpdateProfileDto } from './dto/update-profile.dto';
import { toUserResponse, UserResponse } from './dto/user.response';
import { UsersService } from './users.service';
import { RequestContext } from '../common/request-context';
import { RequestMeta } from '../common/request-meta.decorator';
import { SecurityEvents } from '../events/security-events.service';
import { PasswordPolicy } from '../passwords/password-policy.service';
import { LoginThrottle } from '../throttling/login-throttle.service';

@ApiTags('me')
@ApiBearerAccess()
@Controller('users/me')
export class MeController {
  constructor(
    private readonly users: UsersService,
    private readonly events: SecurityEvents,
    private readonly policy: PasswordPolicy,
    private readonly loginThrottle: LoginThrottle,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The calling user' })
  @ApiOkResponse({ type: UserResponse })
  profile(@CurrentUser() caller: AuthenticatedUser): UserResponse {
    return toUserResponse(caller.account);
  }

  @Patch()
  @ApiOperation({ summary: 'Change your email or full name (null clears them)' })
  @ApiOkResponse({ type: UserResponse })
  @ApiProblemResponse(400, 'Invalid email or full name')
  @ApiProblemResponse(409, 'Email already registered')
  async updateProfile(
    @CurrentUser() caller: AuthenticatedUser,
    @Body() body: UpdateProfileDto,
    @RequestMeta() context: RequestContext,
  ): Promise<UserResponse> {
    const { user } = await this.users.update(caller.id, body);
    await this.events.publish({
      type: 'user_updated',
      userId: caller.id,
      context,
      detail: { actorId: caller.id, fields: Object.keys(body).sort().join(' ') },
    });
    return toUserResponse(user);
  }

  @Post('password')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Change your password',
    description: 'Every access token issued before the change stops working, this one included.',
  })
  @ApiNoContentResponse({ description: 'Changed' })
  @ApiProblemResponse(400, 'The new password is not acceptable')
  @ApiProblemResponse(401, 'Wrong current password, or a missing, invalid or expired token')
  @ApiProblemResponse(
    429,
    'Too many wrong passwords for this account, here or at the token endpoint; see Retry-After',
  )
  async changePassword(
    @CurrentUser() caller: AuthenticatedUser,
    @Body() body: ChangePasswordDto,
    @RequestMeta() context: RequestContext,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    // Refused before anything is counted: choosing a weak new password is not a wrong password.
    this.policy.assertAcceptable(body.newPassword, caller.username, 'newPassword');
    // The current password is checked like a login's, on the same counters: whoever holds a
    // stolen access token cannot try passwords here faster than at the token endpoint.
    const attempt = await this.loginThrottle.begin(caller.username, request, reply);
    try {
      await this.users.changePassword(caller.id, body.currentPassword, body.newPassword);
    } catch (error) {
      if (error instanceof UnauthorizedException) {
        await this.events.publish({
          type: 'password_changed',
          userId: caller.id,
          context,
          detail: { outcome: 'failure', reason: 'credentials' },
        });
      }
      throw error;
    }
    await this.loginThrottle.succeeded(attempt);
    await this.events.publish({
      type: 'password_changed',
      userId: caller.id,
      context,
      detail: { outcome: 'success' },
    });
  }
}
