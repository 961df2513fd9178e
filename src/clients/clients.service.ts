import {
  BadRequestException,
  ConflictException,
  Inject,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { EntityManager, MoreThan, Repository } from 'typeorm';
import { authConfig } from '../config/auth.config';
import { Transactions } from '../database/transactions';
import { Initiator } from '../events/security-event';
import { SecurityEvents } from '../events/security-events.service';
import { SessionsService } from '../sessions/sessions.service';
import { POSSIBLE_CLIENT_ID } from './client-id';
import { clientSecretHash, matchesSecretHash, newClientSecret } from './client-secrets';
import { CreateClientDto } from './dto/create-client.dto';
import { ListClientsQuery } from './dto/list-clients.query';
import { UpdateClientDto } from './dto/update-client.dto';
import { Client } from './entities/client.entity';

const noSuchClient = () => new NotFoundException('No client has that id');

function refuseClientCredentialsWithoutSecret(isPublic: boolean, grants: string[]): void {
  if (isPublic && grants.includes('client_credentials')) {
    throw new BadRequestException(
      'A public client has no secret, so it cannot use the client_credentials grant',
    );
  }
}

@Injectable()
export class ClientsService {
  constructor(
    @InjectRepository(Client) private readonly clients: Repository<Client>,
    private readonly sessions: SessionsService,
    private readonly events: SecurityEvents,
    private readonly transactions: Transactions,
    @Inject(authConfig.KEY) private readonly auth: ConfigType<typeof authConfig>,
  ) {}

  async create(
    input: CreateClientDto,
    initiator: Initiator,
  ): Promise<{ client: Client; clientSecret?: string }> {
    const isPublic = input.public === true;
    const grants =
      input.grants ?? (isPublic ? ['password', 'refresh_token'] : ['client_credentials']);
    refuseClientCredentialsWithoutSecret(isPublic, grants);
    const clientId = `pc_${randomBytes(12).toString('base64url')}`;
    const clientSecret = isPublic ? undefined : newClientSecret();
    const client = await this.transactions.run(async (manager) => {
      await manager.insert(Client, {
        clientId,
        name: input.name,
        secretHash: clientSecret === undefined ? '' : clientSecretHash(clientSecret),
        scopes: input.scopes,
        grants,
        public: isPublic,
        createdAt: new Date(),
      });
      const created = await manager.findOneByOrFail(Client, { clientId });
      await this.announce(manager, 'client_created', clientId, initiator, {
        name: created.name,
        public: isPublic,
      });
      return created;
    });
    return { client, clientSecret };
  }

  /** Keyset pages in clientId order: a client added or removed meanwhile never shifts a page. */
  list({ limit, after }: ListClientsQuery): Promise<Client[]> {
    return this.clients.find({
      where: after === undefined ? {} : { clientId: MoreThan(after) },
      order: { clientId: 'ASC' },
      take: limit,
    });
  }

  findById(clientId: string): Promise<Client | null> {
    return this.clients.findOneBy({ clientId });
  }

  /** Scopes and grants apply to tokens issued from now on; tokens already out keep theirs. */
  async update(clientId: string, input: UpdateClientDto, initiator: Initiator): Promise<Client> {
    const changes = Object.fromEntries(
      Object.entries({ name: input.name, scopes: input.scopes, grants: input.grants }).filter(
        ([, value]) => value !== undefined,
      ),
    ) as Partial<Pick<Client, 'name' | 'scopes' | 'grants'>>;
    if (Object.keys(changes).length === 0) {
      throw new BadRequestException('Nothing to change: send name, scopes or grants');
    }
    if (!POSSIBLE_CLIENT_ID.test(clientId)) {
      throw noSuchClient();
    }
    return this.transactions.run(async (manager) => {
      const client = await manager.findOneBy(Client, { clientId });
      if (!client) {
        throw noSuchClient();
      }
      refuseClientCredentialsWithoutSecret(client.public, changes.grants ?? client.grants);
      await manager.update(Client, { clientId }, changes);
      await this.announce(manager, 'client_updated', clientId, initiator, {
        changed: Object.keys(changes).sort().join(','),
      });
      return manager.findOneByOrFail(Client, { clientId });
    });
  }

  /** A new secret, shown once; the old one keeps working for CLIENT_SECRET_OVERLAP, then dies. */
  async rotateSecret(
    clientId: string,
    initiator: Initiator,
  ): Promise<{ clientSecret: string; previousSecretExpiresAt: Date | null }> {
    if (!POSSIBLE_CLIENT_ID.test(clientId)) {
      throw noSuchClient();
    }
    const clientSecret = newClientSecret();
    const overlapMs = this.auth.clientSecretOverlapMs;
    const previousSecretExpiresAt = overlapMs > 0 ? new Date(Date.now() + overlapMs) : null;
    await this.transactions.run(async (manager) => {
      // One statement: two rotations at once each keep the secret the other replaced, never lose one.
      const { affected } = await manager
        .createQueryBuilder()
        .update(Client)
        .set({
          previousSecretHash: () => (overlapMs > 0 ? '"secretHash"' : 'NULL'),
          previousSecretExpiresAt,
          secretHash: clientSecretHash(clientSecret),
        })
        .where('"clientId" = :clientId AND "public" = :public', { clientId, public: false })
        .execute();
      if (!affected) {
        const client = await manager.findOneBy(Client, { clientId });
        throw client ? new ConflictException('A public client has no secret') : noSuchClient();
      }
      await this.announce(manager, 'client_secret_rotated', clientId, initiator, {
        previousSecretExpiresAt: previousSecretExpiresAt?.toISOString() ?? null,
      });
    });
    return { clientSecret, previousSecretExpiresAt };
  }

  /** Its tokens stop working, and so do the sessions started through it. */
  async remove(clientId: string, initiator: Initiator): Promise<void> {
    if (!POSSIBLE_CLIENT_ID.test(clientId)) {
      throw noSuchClient();
    }
    await this.transactions.run(async (manager) => {
      const { affected } = await manager.delete(Client, { clientId });
      if (!affected) {
        throw noSuchClient();
      }
      await this.sessions.revokeAllForClient(clientId, manager);
      await this.announce(manager, 'client_deleted', clientId, initiator, {});
    });
  }

  /**
   * The client these credentials prove, or null: a confidential client's secret (or, during the
   * overlap after a rotation, the one it replaced) compared in constant time, for an unknown client
   * too; or a public client's id with no secret at all.
   */
  async authenticate(clientId: string, secret: string): Promise<Client | null> {
    if (!POSSIBLE_CLIENT_ID.test(clientId)) {
      return null;
    }
    const client = await this.clients
      .createQueryBuilder('client')
      .addSelect(['client.secretHash', 'client.previousSecretHash'])
      .where('client.clientId = :clientId', { clientId })
      .getOne();
    if (client?.public) {
      return secret === '' ? client : null;
    }
    const current = matchesSecretHash(secret, client?.secretHash);
    const previous = matchesSecretHash(secret, client?.previousSecretHash);
    const previousAlive =
      !!client?.previousSecretExpiresAt && client.previousSecretExpiresAt > new Date();
    return client && (current || (previous && previousAlive)) ? client : null;
  }

  /** Replaced secrets past their overlap: a hash that no longer proves anything is not kept. */
  async purgeExpiredPreviousSecrets(now: number): Promise<number> {
    const { affected } = await this.clients
      .createQueryBuilder()
      .update(Client)
      .set({ previousSecretHash: null, previousSecretExpiresAt: null })
      .where('"previousSecretExpiresAt" < :now', { now: new Date(now) })
      .execute();
    return affected ?? 0;
  }

  private announce(
    manager: EntityManager,
    type: 'client_created' | 'client_updated' | 'client_secret_rotated' | 'client_deleted',
    clientId: string,
    initiator: Initiator,
    detail: Record<string, string | boolean | null>,
  ): Promise<void> {
    return this.events.publish(
      {
        type,
        clientId,
        context: initiator.context,
        detail: { actorId: initiator.actorId ?? null, ...detail },
      },
      manager,
    );
  }
}
