import { Injectable } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { Metrics } from '../metrics/metrics.service';
import { TEMPLATE_VALUES } from './default-templates';
import { Outbox } from './outbox.service';

@Injectable()
export class MailMetrics {
  readonly sent: Counter<'template'>;
  readonly failed: Counter<'template'>;

  constructor(metrics: Metrics, outbox: Outbox) {
    const registers = [metrics.registry];
    this.sent = new Counter({
      name: 'portcullis_mail_sent_total',
      help: 'Mail handed to the mail server (or written to the outbox folder), by template',
      labelNames: ['template'] as const,
      registers,
    });
    this.failed = new Counter({
      name: 'portcullis_mail_failed_total',
      help: 'Mail given up after MAIL_MAX_ATTEMPTS, by template',
      labelNames: ['template'] as const,
      registers,
    });
    new Gauge({
      name: 'portcullis_mail_queue_depth',
      help: 'Mail in the outbox waiting to be sent, on every instance together',
      registers,
      async collect() {
        this.set(await outbox.pendingCount());
      },
    });
    for (const template of Object.keys(TEMPLATE_VALUES)) {
      this.sent.inc({ template }, 0);
      this.failed.inc({ template }, 0);
    }
  }
}
