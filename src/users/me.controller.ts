import { Body, Controller, Get, HttpCode, Patch, Post } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuthenticatedUser } from '../auth/authenticated-user';
import { CurrentUser } from '../auth/decorators/current-user.decorator';
import { Initiated } from '../auth/decorators/initiated.decorator';
import { SessionTokenOnly } from '../auth/decorators/session-token-only.decorator';
import { TokenScope } from '../auth/decorators/token-scope.decorator';
import { ApiBearerAccess } from '../common/api-bearer-access.decorator';
import { ApiProblemResponse } from '../common/api-problem-response.decorator';
import { RequestContext } from '../common/request-context';
import { RequestMeta } from '../common/request-meta.decorator';
import { Initiator } from '../events/security-event';
import { PROFILE_SCOPE } from '../oauth/scopes';
import { CredentialsService } from './credentials.service';
import { ChangePasswordDto } from './dto/change-password.dto';
import { UpdateProfileDto } from './dto/update-profile.dto';
import { toUserResponse, UserResponse } from './dto/user.response';
import { UsersService } from './users.service';

@ApiTags('me')
@ApiBearerAccess()
@TokenScope(PROFILE_SCOPE)
@Controller('users/me')
export class MeController {
  constructor(
    private readonly users: UsersService,
    private readonly credentials: CredentialsService,
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
  @ApiProblemResponse(429, 'Too many changes for this account or address; see Retry-After')
  async updateProfile(
    @CurrentUser() caller: AuthenticatedUser,
    @Body() body: UpdateProfileDto,
    @Initiated() initiator: Initiator,
  ): Promise<UserResponse> {
    return toUserResponse(await this.users.updateOwnProfile(caller.id, body, initiator));
  }

  @Post('password')
  @HttpCode(204)
  @SessionTokenOnly()
  @ApiOperation({
    summary: 'Change your password',
    description:
      'Every access token issued before the change stops working, this one included; ' +
      'personal access tokens keep working.',
  })
  @ApiNoContentResponse({ description: 'Changed' })
  @ApiProblemResponse(400, 'The new password is not acceptable')
  @ApiProblemResponse(401, 'Wrong current password, or a missing, invalid or expired token')
  @ApiProblemResponse(
    429,
    'Too many wrong passwords for this account, here or at the token endpoint; see Retry-After',
  )
  changePassword(
    @CurrentUser() caller: AuthenticatedUser,
    @Body() body: ChangePasswordDto,
    @RequestMeta() context: RequestContext,
  ): Promise<void> {
    const { currentPassword, newPassword } = body;
    return this.credentials.changePassword(caller.account, currentPassword, newPassword, context);
  }
}
