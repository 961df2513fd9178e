import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorFunction,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { Public } from '../auth/decorators/public.decorator';
import { ApiProblemResponse } from '../common/api-problem-response.decorator';
import { HealthCheckResponse } from './dto/health-check.response';
import { RedisHealthIndicator } from './redis.health';

const DATABASE_PING_TIMEOUT_MS = 1500;

@ApiTags('operations')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
  ) {}

  /** Liveness: answers while the process can serve HTTP; a dependency outage must not restart it. */
  @Get()
  // Documented here rather than by terminus, whose 503 has its own body: liveness checks nothing,
  // and readiness answers a failed check as problem details.
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiOperation({ summary: 'Liveness: 200 while the process runs' })
  @ApiOkResponse({ type: HealthCheckResponse })
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  /** Readiness: 503 while a dependency is down, so load balancers route around this instance. */
  @Get('ready')
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiOperation({ summary: 'Readiness: 200 when the database (and Redis, if configured) answer' })
  @ApiOkResponse({ type: HealthCheckResponse })
  @ApiProblemResponse(503, 'Not ready: the detail names what is unavailable')
  async ready(): Promise<HealthCheckResult> {
    const checks: HealthIndicatorFunction[] = [
      () => this.database.pingCheck('database', { timeout: DATABASE_PING_TIMEOUT_MS }),
    ];
    if (this.redis.configured) {
      checks.push(() => this.redis.pingCheck('redis'));
    }
    try {
      return await this.health.check(checks);
    } catch (error) {
      if (error instanceof ServiceUnavailableException) {
        const result = error.getResponse() as Partial<HealthCheckResult>;
        const down = Object.keys(result.error ?? {}).join(', ') || 'a dependency';
        throw new ServiceUnavailableException(`Not ready: ${down} unavailable`);
      }
      throw error;
    }
  }
}
