import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Repository } from 'typeorm';
import { Transactions } from '../database/transactions';
import { Initiator } from '../events/security-event';
import { SecurityEvents } from '../events/security-events.service';
import { SessionsService } from '../sessions/sessions.service';
import { CreateClientDto } from './dto/create-client.dto';
import { Client } from './entities/client.entity';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

// Any other id names no client and is not sent to the database: PostgreSQL refuses a NUL in a
// parameter (a 500).
const POSSIBLE_CLIENT_ID = /^[A-Za-z0-9_-]{1,64}$/;

@Injectable()
export class ClientsService {
  constructor(
    @InjectRepository(Client) private readonly clients: Repository<Client>,
    private readonly sessions: SessionsService,
    private readonly events: SecurityEvents,
    private readonly transactions: Transactions,
  ) {}

  async create(
    input: CreateClientDto,
    initiator: Initiator,
  ): Promise<{ client: Client; clientSecret?: string }> {
    const isPublic = input.public === true;
    const grants =
      input.grants ?? (isPublic ? ['password', 'refresh_token'] : ['client_credentials']);
    if (isPublic && grants.includes('client_credentials')) {
      throw new BadRequestException(
        'A public client has no secret, so it cannot use the client_credentials grant',
      );
    }
    const clientId = `pc_${randomBytes(12).toString('base64url')}`;
    const clientSecret = isPublic ? undefined : randomBytes(32).toString('base64url');
    const client = await this.transactions.run(async (manager) => {
      await manager.insert(Client, {
        clientId,
        name: input.name,
        secretHash: clientSecret === undefined ? '' : sha256(clientSecret).toString('hex'),
        scopes: input.scopes,
        grants,
        public: isPublic,
        createdAt: new Date(),
      });
      const created = await manager.findOneByOrFail(Client, { clientId });
      await this.events.publish(
        {
          type: 'client_created',
          clientId,
          context: initiator.context,
          detail: { actorId: initiator.actorId ?? null, name: created.name, public: isPublic },
        },
        manager,
      );
      return created;
    });
    return { client, clientSecret };
  }

  list(): Promise<Client[]> {
    return this.clients.find({ order: { createdAt: 'ASC', clientId: 'ASC' } });
  }

  findById(clientId: string): Promise<Client | null> {
    return this.clients.findOneBy({ clientId });
  }

  /** Its tokens stop working, and so do the sessions started through it. */
  async remove(clientId: string, initiator: Initiator): Promise<void> {
    if (!POSSIBLE_CLIENT_ID.test(clientId)) {
      throw new NotFoundException('No client has that id');
    }
    await this.transactions.run(async (manager) => {
      const { affected } = await manager.delete(Client, { clientId });
      if (!affected) {
        throw new NotFoundException('No client has that id');
      }
      await this.sessions.revokeAllForClient(clientId, manager);
      await this.events.publish(
        {
          type: 'client_deleted',
          clientId,
          context: initiator.context,
          detail: { actorId: initiator.actorId ?? null },
        },
        manager,
      );
    });
  }

  /**
   * The client these credentials prove, or null: a confidential client's secret compared in
   * constant time (for an unknown client too), or a public client's id with no secret at all.
   */
  async authenticate(clientId: string, secret: string): Promise<Client | null> {
    if (!POSSIBLE_CLIENT_ID.test(clientId)) {
      return null;
    }
    const client = await this.clients
      .createQueryBuilder('client')
      .addSelect('client.secretHash')
      .where('client.clientId = :clientId', { clientId })
      .getOne();
    if (client?.public) {
      return secret === '' ? client : null;
    }
    const presented = sha256(secret);
    const stored = client ? Buffer.from(client.secretHash, 'hex') : Buffer.alloc(presented.length);
    return client && timingSafeEqual(presented, stored) ? client : null;
  }
}
