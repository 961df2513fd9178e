import {
  ConflictException,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { appConfig } from '../config/app.config';
import { authConfig } from '../config/auth.config';
import { Initiator } from '../events/security-event';
import { SecurityEvents } from '../events/security-events.service';
import { Transactions } from '../database/transactions';
import { KeyChangeNotices } from './key-change-notices';
import { newSigningKey, NewSigningKey } from './key-material';
import { NextKey } from './key-ring';
import { SigningKeysService } from './signing-keys.service';

// A rotation promotes the next key, published since the previous rotation, and publishes a new
// next key: one INSERT. Peers holding any JWKS fetched since the previous rotation already have
// the promoted key.
@Injectable()
export class KeyRotationService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(KeyRotationService.name);
  private notices: KeyChangeNotices | undefined;
  private timer: NodeJS.Timeout | undefined;
  private scheduled: Promise<void> | undefined;
  private closing = false;

  constructor(
    @Inject(authConfig.KEY) private readonly auth: ConfigType<typeof authConfig>,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
    private readonly keys: SigningKeysService,
    private readonly transactions: Transactions,
    private readonly events: SecurityEvents,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.auth.jwtAlg === 'HS256') {
      return;
    }
    if (this.app.redisUrl) {
      this.notices = await KeyChangeNotices.open(this.app.redisUrl, this.app.redisKeyPrefix, () => {
        if (!this.closing) {
          this.keys.refresh().catch((error: unknown) => {
            this.logger.warn(`Could not reload the signing keys: ${String(error)}`);
          });
        }
      });
    }
    if (this.auth.keyRotationInterval > 0) {
      this.arm();
    }
  }

  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    clearTimeout(this.timer);
    await this.scheduled;
    await this.notices?.close();
  }

  /** Each call promotes one key; concurrent calls, on any instances, promote one after another. */
  async rotate(initiator: Initiator): Promise<{ kid: string }> {
    const alg = this.auth.jwtAlg;
    if (alg === 'HS256') {
      throw new ConflictException(
        'With JWT_ALG=HS256 the signing key is JWT_SECRET, which comes from the environment of ' +
          'every instance and is never published, so the service cannot replace it. Rotate it by ' +
          'deploying a new JWT_SECRET; access tokens signed with the old one then stop working.',
      );
    }
    const key = await newSigningKey(alg);
    let next = await this.keys.completeKeys();
    while (!(await this.promote(key, next, initiator))) {
      next = await this.keys.completeKeys();
    }
    return { kid: next.kid };
  }

  /** Every instance wakes when the next key is due; the unique generation lets one promote it. */
  private async rotateIfDue(): Promise<void> {
    const alg = this.auth.jwtAlg;
    if (alg === 'HS256') {
      return;
    }
    const next = await this.keys.completeKeys();
    if (Date.now() < this.dueAt(next)) {
      return;
    }
    if (!(await this.promote(await newSigningKey(alg), next, {}))) {
      await this.keys.refresh();
    }
  }

  /** False when another instance promoted `next` first. */
  private async promote(key: NewSigningKey, next: NextKey, initiator: Initiator): Promise<boolean> {
    const promoted = await this.transactions.run(async (manager) => {
      if (!(await this.keys.storeAbove(manager, key, next.generation))) {
        return false;
      }
      await this.events.publish(
        {
          type: 'key_rotated',
          context: initiator.context,
          detail: { kid: next.kid, actorId: initiator.actorId ?? null },
        },
        manager,
      );
      return true;
    });
    if (promoted) {
      await this.keys.refresh();
      await this.notices?.announce(next.kid).catch((error: unknown) => {
        this.logger.warn(`Could not tell the other instances of the rotation: ${String(error)}`);
      });
      this.logger.log(`Rotated the ${this.auth.jwtAlg} signing key: ${next.kid} signs now`);
    }
    return promoted;
  }

  private dueAt(next: NextKey): number {
    return next.publishedAt + this.auth.keyRotationInterval * 1000;
  }

  // Woken at least every KEY_RELOAD_INTERVAL, since a rotation elsewhere moves the due time; a
  // timer also cannot wait longer than 24.8 days.
  private arm(delayMs?: number): void {
    const reloadMs = this.auth.keyReloadInterval * 1000;
    const next = this.keys.nextKey();
    const dueIn = next ? this.dueAt(next) - Date.now() : reloadMs;
    this.timer = setTimeout(() => this.wake(), delayMs ?? Math.max(0, Math.min(dueIn, reloadMs)));
    this.timer.unref();
  }

  private wake(): void {
    const next = this.keys.nextKey();
    if (!next || Date.now() < this.dueAt(next)) {
      this.arm();
      return;
    }
    this.scheduled = this.rotateIfDue().then(
      () => this.rearm(),
      (error: unknown) => {
        this.logger.warn(`Scheduled key rotation failed: ${String(error)}`);
        this.rearm(this.auth.keyReloadInterval * 1000);
      },
    );
  }

  private rearm(delayMs?: number): void {
    this.scheduled = undefined;
    if (!this.closing) {
      this.arm(delayMs);
    }
  }
}
