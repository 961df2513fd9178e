import { Body, Controller, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiConsumes,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { OAuthEndpoint } from '../common/oauth-endpoint.decorator';
import { OAuthException } from '../common/oauth.exception';
import { ProblemDetailsDto } from '../common/problem-details.dto';
import { RegisterUserDto } from '../users/dto/register-user.dto';
import { toUserResponse, UserResponse } from '../users/dto/user.response';
import { User } from '../users/entities/user.entity';
import { UsersService } from '../users/users.service';
import { AuthService } from './auth.service';
import { Public } from './decorators/public.decorator';
import { OAuthErrorDto, TokenResponseDto } from './dto/token-response.dto';
import { TokenRequestDto } from './dto/token-request.dto';
import { PasswordGrantGuard } from './guards/password-grant.guard';
import { RegistrationOpenGuard } from './guards/registration-open.guard';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly users: UsersService,
  ) {}

  @Public()
  @Post('token')
  @HttpCode(200)
  @OAuthEndpoint()
  @UseGuards(PasswordGrantGuard)
  @ApiOperation({
    summary: 'Issue tokens (RFC 6749): grant_type=password, the default when absent',
    description: 'Accepts application/x-www-form-urlencoded and JSON bodies.',
  })
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiOkResponse({ type: TokenResponseDto })
  @ApiBadRequestResponse({
    type: OAuthErrorDto,
    description: 'invalid_request, invalid_scope, unsupported_grant_type',
  })
  @ApiUnauthorizedResponse({
    type: OAuthErrorDto,
    description: 'invalid_grant: incorrect username or password',
  })
  @ApiForbiddenResponse({
    type: OAuthErrorDto,
    description: 'access_denied: the account is disabled',
  })
  async token(
    @Body() body: TokenRequestDto,
    @Req() request: FastifyRequest & { user?: User },
  ): Promise<TokenResponseDto> {
    const grantType = body.grant_type ?? 'password';
    if (grantType === 'password' && request.user) {
      return this.auth.passwordGrant(request.user, body.scope);
    }
    throw new OAuthException('unsupported_grant_type', `Unsupported grant_type: ${grantType}`);
  }

  @Public()
  @Post('register')
  @UseGuards(RegistrationOpenGuard)
  @ApiOperation({ summary: 'Create an account (when REGISTRATION_ENABLED)' })
  @ApiCreatedResponse({ type: UserResponse })
  @ApiBadRequestResponse({
    type: ProblemDetailsDto,
    description: 'Invalid username, weak or common password',
  })
  @ApiConflictResponse({ type: ProblemDetailsDto, description: 'Username or email taken' })
  @ApiForbiddenResponse({ type: ProblemDetailsDto, description: 'Registration is disabled' })
  async register(@Body() body: RegisterUserDto): Promise<UserResponse> {
    return toUserResponse(await this.users.create(body));
  }
}
