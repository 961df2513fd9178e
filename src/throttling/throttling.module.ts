import { Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ThrottlerModule } from '@nestjs/throttler';
import { throttlingConfig } from '../config/throttling.config';
import { FailureCounters } from './failure-counters';
import { LoginThrottle } from './login-throttle.service';
import { RequestBudgets } from './request-budgets.service';
import { SecondFactorThrottle } from './second-factor-throttle.service';
import { StoreThrottlerStorage } from './store-throttler-storage';
import { ThrottleStoreModule } from './throttle-store.module';
import { TOKEN_BUDGET_WINDOW_MS, TokenBudgetGuard } from './token-budget.guard';

@Module({
  imports: [
    ThrottleStoreModule,
    ThrottlerModule.forRootAsync({
      imports: [ThrottleStoreModule],
      inject: [throttlingConfig.KEY, StoreThrottlerStorage],
      useFactory: (
        config: ConfigType<typeof throttlingConfig>,
        storage: StoreThrottlerStorage,
      ) => ({
        throttlers: [
          { name: 'default', ttl: TOKEN_BUDGET_WINDOW_MS, limit: config.tokenRequestsPerMinute },
        ],
        // The default tracker is normalizeIp(request.ip), as for the login counters: Fastify's
        // address (TRUST_PROXY applies), IPv6 grouped by /64, since one host often holds a /64.
        storage,
      }),
    }),
  ],
  providers: [
    FailureCounters,
    LoginThrottle,
    SecondFactorThrottle,
    TokenBudgetGuard,
    RequestBudgets,
  ],
  exports: [LoginThrottle, SecondFactorThrottle, TokenBudgetGuard, RequestBudgets],
})
export class ThrottlingModule {}
