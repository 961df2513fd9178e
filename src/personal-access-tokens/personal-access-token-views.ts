import { Injectable } from '@nestjs/common';
import {
  PersonalAccessTokenResponse,
  toPersonalAccessTokenResponse,
} from './dto/personal-access-token.response';
import { PersonalAccessToken } from './entities/personal-access-token.entity';
import { PersonalAccessTokenUsage } from './personal-access-token-usage';

/** Responses with this instance's uses not yet written, so a listing is never a minute behind. */
@Injectable()
export class PersonalAccessTokenViews {
  constructor(private readonly usage: PersonalAccessTokenUsage) {}

  of(token: PersonalAccessToken): PersonalAccessTokenResponse {
    const unstored = this.usage.notYetStored(token.id);
    const stored = token.lastUsedAt === null ? null : new Date(token.lastUsedAt);
    const latest = unstored && (!stored || unstored > stored) ? unstored : stored;
    return toPersonalAccessTokenResponse(token, latest);
  }

  async list(tokens: Promise<PersonalAccessToken[]>): Promise<PersonalAccessTokenResponse[]> {
    return (await tokens).map((token) => this.of(token));
  }
}
