import Fastify, { FastifyInstance } from 'fastify';
import { accessLog } from './access-log';
import { createRootLogger } from './root-logger';

interface Line {
  level: number;
  msg: string;
  req?: Record<string, unknown>;
  res?: Record<string, unknown>;
  responseTime?: number;
}

describe('accessLog', () => {
  let lines: Line[];
  let app: FastifyInstance;

  async function serve(level: string): Promise<void> {
    lines = [];
    const logger = createRootLogger(level, {
      write: (line: string) => lines.push(JSON.parse(line) as Line),
    });
    app = Fastify({ genReqId: () => 'req-1' });
    app.addHook('onResponse', accessLog(logger));
    app.get('/users/me', () => ({ ok: true }));
    app.get('/health', () => ({ status: 'ok' }));
    app.get('/broken', async (_request, reply) => reply.code(503).send());
    await app.ready();
  }

  afterEach(async () => {
    await app.close();
  });

  it('writes one line per request with the id, method, path, address, status and time', async () => {
    await serve('info');

    await app.inject({ url: '/users/me?access_token=secret', headers: { cookie: 'session=x' } });

    expect(lines).toEqual([
      {
        level: 30,
        time: expect.any(Number),
        pid: process.pid,
        hostname: expect.any(String),
        req: { id: 'req-1', method: 'GET', url: '/users/me', remoteAddress: '127.0.0.1' },
        res: { statusCode: 200 },
        responseTime: expect.any(Number),
        msg: 'request completed',
      },
    ]);
    expect(Number.isInteger(lines[0].responseTime)).toBe(true);
  });

  it('logs a 5xx at error level', async () => {
    await serve('info');

    await app.inject({ url: '/broken' });

    expect(lines).toEqual([
      expect.objectContaining({ level: 50, res: { statusCode: 503 }, msg: 'request errored' }),
    ]);
  });

  it('does not log health probes or metrics scrapes', async () => {
    await serve('info');

    await app.inject({ url: '/health' });
    await app.inject({ url: '/metrics?x=1' });

    expect(lines).toEqual([]);
  });

  it('writes nothing for successful requests at warn level, but still logs a 5xx', async () => {
    await serve('warn');

    await app.inject({ url: '/users/me' });
    await app.inject({ url: '/broken' });

    expect(lines).toEqual([expect.objectContaining({ level: 50, res: { statusCode: 503 } })]);
  });
});
