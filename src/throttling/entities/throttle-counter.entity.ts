import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMs } from '../../database/epoch-ms';

/** One throttling counter; keys are hashed, so no username or address is stored in clear. */
@Entity('throttle_counters')
export class ThrottleCounter {
  @PrimaryColumn({ type: 'varchar', length: 100 })
  key: string;

  @Column({ type: 'integer' })
  count: number;

  @Column({ type: 'integer' })
  delayMs: number;

  @Column({ type: 'bigint', transformer: epochMs })
  blockedUntil: number;

  @Column({ type: 'bigint', transformer: epochMs })
  expiresAt: number;

  /** Login attempts admitted whose password is still being checked. */
  @Column({ type: 'integer', default: 0 })
  inFlight: number;

  /** The lease of the latest admitted attempt: past it, all of them are presumed lost. */
  @Column({ type: 'bigint', transformer: epochMs, default: 0 })
  inFlightUntil: number;

  /** Changes when lost attempts are dropped, so that their late answers free no one's place. */
  @Column({ type: 'bigint', transformer: epochMs, default: 0 })
  inFlightGeneration: number;
}
