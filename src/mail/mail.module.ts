import { Global, Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { mailConfig } from '../config/mail.config';
import { MetricsModule } from '../metrics/metrics.module';
import { OutboxMessage } from './entities/outbox-message.entity';
import { MailMetrics } from './mail-metrics';
import { MailTest } from './mail-test';
import { MailSender } from './mail-sender.service';
import { createMailTransport, MailTransport } from './mail-transport';
import { Outbox } from './outbox.service';

/** Global: any feature can put mail in the outbox inside its own transaction. */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([OutboxMessage]), MetricsModule],
  providers: [
    Outbox,
    MailSender,
    MailTest,
    MailMetrics,
    {
      provide: MailTransport,
      inject: [mailConfig.KEY],
      useFactory: (config: ConfigType<typeof mailConfig>) => createMailTransport(config.url),
    },
  ],
  exports: [Outbox, MailTest],
})
export class MailModule {}
