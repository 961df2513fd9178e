import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { PersonalAccessToken } from './entities/personal-access-token.entity';

/** How stale a stored lastUsedAt may be, and how often each token's is written at most. */
export const LAST_USED_FLUSH_MS = 60_000;

/**
 * When each personal access token was last used, kept in memory and written in the background
 * once a minute: no request waits on, or fails by, that write. Non-global module: Nest runs its
 * shutdown hook before the database closes, after the last request finished.
 */
@Injectable()
export class PersonalAccessTokenUsage implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PersonalAccessTokenUsage.name);
  private pending = new Map<string, number>();
  private flushing?: Promise<void>;

  constructor(
    @InjectRepository(PersonalAccessToken)
    private readonly tokens: Repository<PersonalAccessToken>,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    const timer = setInterval(() => void this.flush(), LAST_USED_FLUSH_MS);
    timer.unref();
    this.scheduler.addInterval('personal-access-token-usage', timer);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.flush();
    // Uses recorded while a scheduled flush was already writing.
    await this.flush();
  }

  record(tokenId: string, at = Date.now()): void {
    this.keepLatest(this.pending, tokenId, at);
  }

  /** A use this instance has not written yet, newer than what the database holds. */
  notYetStored(tokenId: string): Date | undefined {
    const at = this.pending.get(tokenId);
    return at === undefined ? undefined : new Date(at);
  }

  /** One flush at a time; a failed one keeps its uses for the next. */
  flush(): Promise<void> {
    this.flushing ??= this.write().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async write(): Promise<void> {
    const batch = [...this.pending];
    this.pending = new Map();
    for (const [index, [tokenId, at]] of batch.entries()) {
      try {
        await this.tokens
          .createQueryBuilder()
          .update(PersonalAccessToken)
          .set({ lastUsedAt: new Date(at) })
          // Another instance may have written a later use.
          .where('"id" = :tokenId AND ("lastUsedAt" IS NULL OR "lastUsedAt" < :at)', {
            tokenId,
            at: new Date(at),
          })
          .execute();
      } catch (error) {
        batch.slice(index).forEach(([id, time]) => this.keepLatest(this.pending, id, time));
        this.logger.warn(
          `Could not store when ${batch.length - index} personal access tokens were last used; ` +
            `retrying at the next flush: ${String(error)}`,
        );
        return;
      }
    }
  }

  private keepLatest(uses: Map<string, number>, tokenId: string, at: number): void {
    if ((uses.get(tokenId) ?? -Infinity) < at) {
      uses.set(tokenId, at);
    }
  }
}
