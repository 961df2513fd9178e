import { AdminOnly } from '../auth/decorators/admin-only.decorator';
import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Initiated } from '../auth/decorators/initiated.decorator';
import { ApiProblemResponse } from '../common/api-problem-response.decorator';
import { Initiator } from '../events/security-event';
import { ClientsService } from './clients.service';
import {
  ClientResponse,
  CreatedClientResponse,
  RotatedSecretResponse,
  toClientResponse,
} from './dto/client.response';
import { CreateClientDto } from './dto/create-client.dto';
import { ListClientsQuery } from './dto/list-clients.query';
import { UpdateClientDto } from './dto/update-client.dto';

@ApiTags('clients (admin)')
@AdminOnly()
@Controller('clients')
export class ClientsController {
  constructor(private readonly clients: ClientsService) {}

  @Post()
  @ApiOperation({ summary: 'Register a client; its secret is shown once' })
  @ApiCreatedResponse({ type: CreatedClientResponse })
  @ApiProblemResponse(400, 'Invalid name, scopes or grants')
  async create(
    @Body() body: CreateClientDto,
    @Initiated() initiator: Initiator,
  ): Promise<CreatedClientResponse> {
    const { client, clientSecret } = await this.clients.create(body, initiator);
    return { ...toClientResponse(client), clientSecret };
  }

  @Get()
  @ApiOperation({
    summary: 'List clients (no secrets), by clientId; the next page starts after the last one',
  })
  @ApiOkResponse({ type: [ClientResponse] })
  @ApiProblemResponse(400, 'Invalid limit or cursor')
  async list(@Query() query: ListClientsQuery): Promise<ClientResponse[]> {
    return (await this.clients.list(query)).map(toClientResponse);
  }

  @Patch(':clientId')
  @ApiOperation({ summary: "Change a client's name, scopes or grants" })
  @ApiOkResponse({ type: ClientResponse })
  @ApiProblemResponse(400, 'Invalid name, scopes or grants, or nothing to change')
  @ApiProblemResponse(404, 'No such client')
  async update(
    @Param('clientId') clientId: string,
    @Body() body: UpdateClientDto,
    @Initiated() initiator: Initiator,
  ): Promise<ClientResponse> {
    return toClientResponse(await this.clients.update(clientId, body, initiator));
  }

  @Post(':clientId/secret')
  @ApiOperation({
    summary: 'Rotate the secret: the new one is shown once, the old one works for the overlap',
  })
  @ApiCreatedResponse({ type: RotatedSecretResponse })
  @ApiProblemResponse(404, 'No such client')
  @ApiProblemResponse(409, 'A public client has no secret')
  async rotateSecret(
    @Param('clientId') clientId: string,
    @Initiated() initiator: Initiator,
  ): Promise<RotatedSecretResponse> {
    const rotated = await this.clients.rotateSecret(clientId, initiator);
    return {
      clientId,
      clientSecret: rotated.clientSecret,
      previousSecretExpiresAt: rotated.previousSecretExpiresAt?.toISOString() ?? null,
    };
  }

  @Delete(':clientId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a client; its tokens and the sessions started through it end' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblemResponse(404, 'No such client')
  remove(@Param('clientId') clientId: string, @Initiated() initiator: Initiator): Promise<void> {
    return this.clients.remove(clientId, initiator);
  }
}
