import { registerAs } from '@nestjs/config';
import { validateEnvironment } from './environment';

export const operationsConfig = registerAs('operations', () => {
  const env = validateEnvironment(process.env);
  return {
    logLevel: env.LOG_LEVEL ?? (env.NODE_ENV === 'test' ? 'warn' : 'info'),
    corsOrigins: env.CORS_ORIGINS.split(',')
      .map((origin) => origin.trim())
      .filter((origin) => origin !== ''),
    requestTimeoutMs: env.REQUEST_TIMEOUT * 1000,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT * 1000,
    purgeIntervalMs: env.PURGE_INTERVAL * 1000,
    metricsEnabled: env.METRICS_ENABLED,
    // One libuv thread stays free for everything else that uses the pool (fs, dns, crypto).
    argon2MaxConcurrency:
      env.ARGON2_MAX_CONCURRENCY ?? Math.max(1, (env.UV_THREADPOOL_SIZE ?? 4) - 1),
    workerThreadNice: env.WORKER_THREAD_NICE,
    redisUrl: env.REDIS_URL,
  };
});
export type OperationsConfig = ReturnType<typeof operationsConfig>;
