import { HttpAdapterHost } from '@nestjs/core';
import Fastify, { FastifyInstance } from 'fastify';
import { PasswordHasher } from '../passwords/password-hasher.service';
import { Metrics } from './metrics.service';
import { SecurityEventMetrics } from './security-event-metrics.listener';

describe('Metrics', () => {
  let fastify: FastifyInstance;
  let metrics: Metrics;

  beforeEach(() => {
    fastify = Fastify();
    const adapterHost = {
      httpAdapter: { getInstance: () => fastify },
    } as unknown as HttpAdapterHost;
    const passwords = { queueDepth: 2, maxConcurrency: 3 } as PasswordHasher;
    metrics = new Metrics(adapterHost, passwords);
    metrics.onModuleInit();
  });

  afterEach(async () => {
    await fastify.close();
  });

  it('counts 429 answers as throttled requests by route pattern', async () => {
    fastify.post('/auth/token', (_request, reply) => reply.status(429).send());
    fastify.get('/users/:id', () => ({}));

    await fastify.inject({ method: 'POST', url: '/auth/token' });
    await fastify.inject({ method: 'POST', url: '/auth/token' });
    await fastify.inject({ method: 'GET', url: '/users/42' });

    const text = await metrics.text();
    expect(text).toContain('portcullis_throttled_requests_total{route="/auth/token"} 2');
    expect(text).toMatch(
      /http_request_duration_seconds_count\{method="GET",route="\/users\/:id",status_code="200"\} 1/,
    );
  });

  it('reads the argon2 queue depth from the hasher at scrape time', async () => {
    await expect(metrics.text()).resolves.toContain('portcullis_argon2_queue_depth 2');
  });

  it('counts throttled and other failed logins by the reason in the event', async () => {
    const listener = new SecurityEventMetrics(metrics);

    listener.record({ type: 'login_failed', detail: { reason: 'throttled' } });
    listener.record({ type: 'login_failed', detail: { reason: 'something new' } });
    listener.record({ type: 'token_issued', detail: { grant: 'client_credentials' } });
    listener.record({ type: 'user_created' });

    const text = await metrics.text();
    expect(text).toContain('portcullis_logins_total{outcome="throttled"} 1');
    expect(text).toContain('portcullis_logins_total{outcome="other"} 1');
    expect(text).toContain('portcullis_tokens_issued_total{grant="client_credentials"} 1');
  });
});
