import { Controller, Get, Inject, NotFoundException, Res } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/decorators/public.decorator';
import { operationsConfig } from '../config/operations.config';
import { Metrics } from './metrics.service';

// Public so Prometheus can scrape without a token: no user, token or address in it. Keep it off
// the internet at the proxy, or set METRICS_ENABLED=false.
@ApiExcludeController()
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: Metrics,
    @Inject(operationsConfig.KEY) private readonly config: ConfigType<typeof operationsConfig>,
  ) {}

  @Get()
  async scrape(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    if (!this.config.metricsEnabled) {
      throw new NotFoundException('Cannot GET /metrics');
    }
    void reply.type(this.metrics.registry.contentType);
    return this.metrics.text();
  }
}
