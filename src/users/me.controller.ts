import { Body, Controller, Get, HttpCode, Patch, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AuthenticatedUser } from '../auth/authenticated-user';
import { CurrentUser } from '../auth/decorators/current-user.decorator';
import { ProblemDetailsDto } from '../common/problem-details.dto';
import { ApiBearerAccess } from '../common/api-bearer-access.decorator';
import { ChangePasswordDto } from './dto/change-password.dto';
import { UpdateProfileDto } from './dto/update-profile.dto';
import { toUserResponse, UserResponse } from './dto/user.response';
import { UsersService } from './users.service';
import { RequestContext } from '../common/request-context';
import { RequestMeta } from '../common/request-meta.decorator';
import { SecurityEvents } from '../events/security-events.service';

@ApiTags('me')
@ApiBearerAccess()
@Controller('users/me')
export class MeController {
  constructor(
    private readonly users: UsersService,
    private readonly events: SecurityEvents,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The calling user' })
  @ApiOkResponse({ type: UserResponse })
  @ApiForbiddenResponse({ type: ProblemDetailsDto, description: 'The account is disabled' })
  profile(@CurrentUser() caller: AuthenticatedUser): UserResponse {
    return toUserResponse(caller.account);
  }

  @Patch()
  @ApiOperation({ summary: 'Change your email or full name (null clears them)' })
  @ApiOkResponse({ type: UserResponse })
  @ApiBadRequestResponse({ type: ProblemDetailsDto })
  @ApiConflictResponse({ type: ProblemDetailsDto, description: 'Email already registered' })
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
  @ApiBadRequestResponse({
    type: ProblemDetailsDto,
    description: 'The new password is not acceptable',
  })
  @ApiUnauthorizedResponse({ type: ProblemDetailsDto, description: 'Wrong current password' })
  async changePassword(
    @CurrentUser() caller: AuthenticatedUser,
    @Body() body: ChangePasswordDto,
    @RequestMeta() context: RequestContext,
  ): Promise<void> {
    await this.users.changePassword(caller.id, body.currentPassword, body.newPassword);
    await this.events.publish({
      type: 'password_changed',
      userId: caller.id,
      context,
      detail: { outcome: 'success' },
    });
  }
}
