import { Body, Controller, Post, UseGuards } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  ApiProblemResponse,
  UNAVAILABLE_DESCRIPTION,
} from '../common/api-problem-response.decorator';
import { RegisterUserDto } from '../users/dto/register-user.dto';
import { toUserResponse, UserResponse } from '../users/dto/user.response';
import { UsersService } from '../users/users.service';
import { Public } from './decorators/public.decorator';
import { RegistrationOpenGuard } from './guards/registration-open.guard';
import { RequestContext } from '../common/request-context';
import { RequestMeta } from '../common/request-meta.decorator';
import { SecurityEvents } from '../events/security-events.service';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly users: UsersService,
    private readonly events: SecurityEvents,
  ) {}

  @Public()
  @Post('register')
  @UseGuards(RegistrationOpenGuard)
  @ApiOperation({ summary: 'Create an account (when REGISTRATION_ENABLED)' })
  @ApiCreatedResponse({ type: UserResponse })
  @ApiProblemResponse(400, 'Invalid username or email, weak or common password')
  @ApiProblemResponse(409, 'Username or email taken')
  @ApiProblemResponse(403, 'Registration is disabled')
  @ApiProblemResponse(503, UNAVAILABLE_DESCRIPTION)
  async register(
    @Body() body: RegisterUserDto,
    @RequestMeta() context: RequestContext,
  ): Promise<UserResponse> {
    const user = await this.users.create(body);
    await this.events.publish({
      type: 'user_registered',
      userId: user.id,
      context,
      detail: { username: user.username },
    });
    return toUserResponse(user);
  }
}
