import { createRootLogger } from './root-logger';

describe('createRootLogger', () => {
  function capture(level = 'info') {
    const lines: Record<string, unknown>[] = [];
    const logger = createRootLogger(level, {
      write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>),
    });
    return { logger, lines };
  }

  it('cuts whatever is logged as req or res down to the fields a request line shows', () => {
    const { logger, lines } = capture();

    logger.info({
      req: {
        id: 'req-1',
        method: 'POST',
        url: '/auth/token?client_secret=s3cret',
        remoteAddress: '10.0.0.1',
        headers: { authorization: 'Bearer abc' },
        body: { password: 'hunter2' },
      },
      res: { statusCode: 200, headers: { 'set-cookie': 'session=abc' } },
    });

    expect(lines[0]).toMatchObject({
      req: { id: 'req-1', method: 'POST', url: '/auth/token', remoteAddress: '10.0.0.1' },
      res: { statusCode: 200 },
    });
    expect(JSON.stringify(lines)).not.toMatch(/s3cret|abc|hunter2/);
  });

  it('redacts credentials passed to a log call by mistake', () => {
    const { logger, lines } = capture();

    logger.warn({ password: 'hunter2', detail: { refresh_token: 'r-123' } }, 'oops');

    expect(lines[0]).toMatchObject({
      password: '[redacted]',
      detail: { refresh_token: '[redacted]' },
    });
  });

  it('honours the configured level', () => {
    const { logger, lines } = capture('warn');

    logger.info('not written');
    logger.warn('written');

    expect(lines.map((line) => line.msg)).toEqual(['written']);
  });
});
