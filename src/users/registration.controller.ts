import { Body, Controller, Post, UseGuards } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/decorators/public.decorator';
import {
  ApiProblemResponse,
  UNAVAILABLE_DESCRIPTION,
} from '../common/api-problem-response.decorator';
import { RequestContext } from '../common/request-context';
import { RequestMeta } from '../common/request-meta.decorator';
import { RegisterUserDto } from './dto/register-user.dto';
import { toUserResponse, UserResponse } from './dto/user.response';
import { RegistrationOpenGuard } from './registration-open.guard';
import { UsersService } from './users.service';

@ApiTags('auth')
@Controller('auth')
export class RegistrationController {
  constructor(private readonly users: UsersService) {}

  @Public()
  @Post('register')
  @UseGuards(RegistrationOpenGuard)
  @ApiOperation({ summary: 'Create an account (when REGISTRATION_ENABLED)' })
  @ApiCreatedResponse({ type: UserResponse })
  @ApiProblemResponse(400, 'Invalid username or email, weak or common password')
  @ApiProblemResponse(409, 'Username or email taken')
  @ApiProblemResponse(403, 'Registration is disabled')
  @ApiProblemResponse(429, 'Too many registrations from this address; see Retry-After')
  @ApiProblemResponse(503, UNAVAILABLE_DESCRIPTION)
  async register(
    @Body() body: RegisterUserDto,
    @RequestMeta() context: RequestContext,
  ): Promise<UserResponse> {
    return toUserResponse(await this.users.register(body, context));
  }
}
