import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Roles } from '../auth/decorators/roles.decorator';
import { ApiBearerAccess } from '../common/api-bearer-access.decorator';
import { ApiProblemResponse } from '../common/api-problem-response.decorator';
import { ADMIN_ROLE } from '../users/users.service';
import { SessionsService } from '../sessions/sessions.service';
import { ClientsService } from './clients.service';
import { ClientResponse, CreatedClientResponse, toClientResponse } from './dto/client.response';
import { CreateClientDto } from './dto/create-client.dto';
import { AuthenticatedUser } from '../auth/authenticated-user';
import { CurrentUser } from '../auth/decorators/current-user.decorator';
import { RequestContext } from '../common/request-context';
import { RequestMeta } from '../common/request-meta.decorator';
import { SecurityEvents } from '../events/security-events.service';

@ApiTags('clients (admin)')
@ApiBearerAccess({ admin: true })
@Roles(ADMIN_ROLE)
@Controller('clients')
export class ClientsController {
  constructor(
    private readonly clients: ClientsService,
    private readonly sessions: SessionsService,
    private readonly events: SecurityEvents,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Register a client; its secret is shown once' })
  @ApiCreatedResponse({ type: CreatedClientResponse })
  @ApiProblemResponse(400, 'Invalid name, scopes or grants')
  async create(
    @Body() body: CreateClientDto,
    @CurrentUser() caller: AuthenticatedUser,
    @RequestMeta() context: RequestContext,
  ): Promise<CreatedClientResponse> {
    const { client, clientSecret } = await this.clients.create(body);
    await this.events.publish({
      type: 'client_created',
      clientId: client.clientId,
      context,
      detail: { actorId: caller.id, name: client.name },
    });
    return { ...toClientResponse(client), clientSecret };
  }

  @Get()
  @ApiOperation({ summary: 'List clients (no secrets)' })
  @ApiOkResponse({ type: [ClientResponse] })
  async list(): Promise<ClientResponse[]> {
    return (await this.clients.list()).map(toClientResponse);
  }

  @Delete(':clientId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a client; its tokens and the sessions started through it end' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblemResponse(404, 'No such client')
  async remove(
    @Param('clientId') clientId: string,
    @CurrentUser() caller: AuthenticatedUser,
    @RequestMeta() context: RequestContext,
  ): Promise<void> {
    await this.clients.remove(clientId);
    await this.sessions.revokeAllForClient(clientId);
    await this.events.publish({
      type: 'client_deleted',
      clientId,
      context,
      detail: { actorId: caller.id },
    });
  }
}
