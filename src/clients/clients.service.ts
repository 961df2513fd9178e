import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Repository } from 'typeorm';
import type { FastifyRequest } from 'fastify';
import {
  invalidClient,
  PresentedClientCredentials,
  presentedClientCredentials,
} from './client-credentials';
import { CreateClientDto } from './dto/create-client.dto';
import { Client } from './entities/client.entity';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/**
 * What a client id can look like (ours are `pc_` and 16 base64url characters). Anything else names
 * no client, and is not sent to the database: PostgreSQL refuses a NUL in a parameter (a 500).
 */
const POSSIBLE_CLIENT_ID = /^[A-Za-z0-9_-]{1,64}$/;

@Injectable()
export class ClientsService {
  constructor(@InjectRepository(Client) private readonly clients: Repository<Client>) {}

  async create(input: CreateClientDto): Promise<{ client: Client; clientSecret: string }> {
    const clientId = `pc_${randomBytes(12).toString('base64url')}`;
    const clientSecret = randomBytes(32).toString('base64url');
    await this.clients.insert({
      clientId,
      name: input.name,
      secretHash: sha256(clientSecret).toString('hex'),
      scopes: input.scopes,
      grants: input.grants ?? ['client_credentials'],
      createdAt: new Date(),
    });
    return { client: await this.clients.findOneByOrFail({ clientId }), clientSecret };
  }

  list(): Promise<Client[]> {
    return this.clients.find({ order: { createdAt: 'ASC', clientId: 'ASC' } });
  }

  findById(clientId: string): Promise<Client | null> {
    return this.clients.findOneBy({ clientId });
  }

  async remove(clientId: string): Promise<void> {
    const result = POSSIBLE_CLIENT_ID.test(clientId)
      ? await this.clients.delete({ clientId })
      : { affected: 0 };
    if (!result.affected) {
      throw new NotFoundException('No client has that id');
    }
  }

  /** The client a request to an OAuth endpoint authenticates as, if it names one. */
  async authenticatePresented(
    request: FastifyRequest,
    body: { client_id?: string; client_secret?: string },
  ): Promise<Client | undefined> {
    const credentials = presentedClientCredentials(request, body);
    return credentials ? this.authenticate(credentials) : undefined;
  }

  /** The client these credentials prove, or 401 invalid_client; the secret check is constant-time. */
  async authenticate(credentials: PresentedClientCredentials): Promise<Client> {
    if (!POSSIBLE_CLIENT_ID.test(credentials.clientId)) {
      throw invalidClient();
    }
    const client = await this.clients
      .createQueryBuilder('client')
      .addSelect('client.secretHash')
      .where('client.clientId = :clientId', { clientId: credentials.clientId })
      .getOne();
    const presented = sha256(credentials.clientSecret);
    const stored = client ? Buffer.from(client.secretHash, 'hex') : Buffer.alloc(presented.length);
    if (!client || !timingSafeEqual(presented, stored)) {
      throw invalidClient();
    }
    return client;
  }
}
