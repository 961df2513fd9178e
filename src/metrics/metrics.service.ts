import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { PasswordHasher } from '../passwords/password-hasher.service';

export const LOGIN_OUTCOMES = [
  'success',
  'credentials',
  'disabled',
  'throttled',
  'unverified_email',
] as const;
export const GRANTS = ['password', 'mfa', 'refresh_token', 'client_credentials'] as const;

/** Not prom-client's global registry: several apps in one process (the e2e tests) would collide. */
@Injectable()
export class Metrics implements OnModuleInit {
  readonly registry = new Registry();

  readonly requestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by route pattern, method and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly logins = new Counter({
    name: 'portcullis_logins_total',
    help: 'Password logins by outcome (success, credentials, disabled, throttled, unverified_email)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly tokensIssued = new Counter({
    name: 'portcullis_tokens_issued_total',
    help: 'Access tokens issued by grant type',
    labelNames: ['grant'] as const,
    registers: [this.registry],
  });

  readonly refreshReuse = new Counter({
    name: 'portcullis_refresh_reuse_detected_total',
    help: 'Spent refresh tokens presented again (treated as theft; the session was revoked)',
    registers: [this.registry],
  });

  readonly throttled = new Counter({
    name: 'portcullis_throttled_requests_total',
    help: 'Requests refused with 429 by route pattern',
    labelNames: ['route'] as const,
    registers: [this.registry],
  });

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    passwords: PasswordHasher,
  ) {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'portcullis_argon2_queue_depth',
      help: 'argon2 operations waiting for one of the capped slots',
      registers: [this.registry],
      collect() {
        this.set(passwords.queueDepth);
      },
    });
    new Gauge({
      name: 'portcullis_argon2_max_concurrency',
      help: 'argon2 operations allowed to run at once (ARGON2_MAX_CONCURRENCY)',
      registers: [this.registry],
    }).set(passwords.maxConcurrency);
    // Present from the first scrape, so rate() and alerts see a zero rather than no series.
    LOGIN_OUTCOMES.forEach((outcome) => this.logins.inc({ outcome }, 0));
    GRANTS.forEach((grant) => this.tokensIssued.inc({ grant }, 0));
    this.refreshReuse.inc(0);
  }

  onModuleInit(): void {
    // Null in an application context without HTTP (the operator CLI): no requests to measure.
    const adapter = this.adapterHost.httpAdapter as HttpAdapterHost['httpAdapter'] | null;
    if (!adapter) {
      return;
    }
    const fastify = adapter.getInstance<FastifyInstance>();
    fastify.addHook('onResponse', (request, reply, done) => {
      // The route pattern (`/users/:id`), never the raw URL: ids would explode the label set.
      const route = request.routeOptions.url ?? 'unmatched';
      const statusCode = reply.statusCode;
      this.requestDuration.observe(
        { method: request.method, route, status_code: String(statusCode) },
        reply.elapsedTime / 1000,
      );
      if (statusCode === 429) {
        this.throttled.inc({ route });
      }
      done();
    });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
