import { Injectable, NotFoundException } from '@nestjs/common';
import { Transactions } from '../database/transactions';
import { Initiator } from '../events/security-event';
import { SecurityEvents } from '../events/security-events.service';
import { PersonalAccessTokensService } from '../personal-access-tokens/personal-access-tokens.service';
import { SessionsService } from '../sessions/sessions.service';
import { User } from './entities/user.entity';
import { NEXT_TOKEN_VERSION, touched } from './user-writes';

/** Ends everything a user holds: sessions, refresh and access tokens, personal access tokens. */
@Injectable()
export class AccountRevocation {
  constructor(
    private readonly sessions: SessionsService,
    private readonly personalAccessTokens: PersonalAccessTokensService,
    private readonly transactions: Transactions,
    private readonly events: SecurityEvents,
  ) {}

  async revokeAll(userId: string, initiator: Initiator): Promise<void> {
    await this.transactions.run(async (manager) => {
      // The token version ends access tokens of every kind at once, on every instance.
      const { affected } = await manager.update(
        User,
        { id: userId },
        touched({ tokenVersion: NEXT_TOKEN_VERSION }),
      );
      if (!affected) {
        throw new NotFoundException('No user has that id');
      }
      await this.sessions.revokeAllForUser(userId, manager);
      await this.personalAccessTokens.revokeAllForUser(userId, manager);
      await this.events.publish(
        {
          type: 'token_revoked',
          userId,
          context: initiator.context,
          detail: { tokenType: 'all', actorId: initiator.actorId ?? null },
        },
        manager,
      );
    });
  }
}
