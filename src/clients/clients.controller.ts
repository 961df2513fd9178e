import { AdminOnly } from '../auth/decorators/admin-only.decorator';
import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
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
import { ClientResponse, CreatedClientResponse, toClientResponse } from './dto/client.response';
import { CreateClientDto } from './dto/create-client.dto';

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
  remove(@Param('clientId') clientId: string, @Initiated() initiator: Initiator): Promise<void> {
    return this.clients.remove(clientId, initiator);
  }
}
