import Fastify, { FastifyInstance } from 'fastify';
import { AddressInfo, connect } from 'node:net';
import { drainHandlersOnClose } from './drain-on-close';

async function requestThenReset(port: number, started: Promise<void>): Promise<void> {
  const socket = connect(port, '127.0.0.1');
  await new Promise((connected) => socket.once('connect', connected));
  socket.write('GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n');
  await started;
  socket.resetAndDestroy();
}

function connectionRefused(port: number): Promise<boolean> {
  return new Promise((answer) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      answer(false);
    });
    socket.once('error', () => answer(true));
  });
}

describe('drainHandlersOnClose', () => {
  let fastify: FastifyInstance;
  let waitedFor: number[];
  let waitReported: Promise<void>;
  let handlerStarted: () => void;
  let started: Promise<void>;
  let finishHandler: (outcome: 'resolve' | 'reject') => void;
  let handlerDone: boolean;
  let port: number;

  beforeEach(async () => {
    fastify = Fastify();
    waitedFor = [];
    let reportWait: () => void;
    waitReported = new Promise((resolve) => (reportWait = resolve));
    handlerDone = false;
    started = new Promise((resolve) => (handlerStarted = resolve));
    drainHandlersOnClose(fastify, (running) => {
      waitedFor.push(running);
      reportWait();
    });
    fastify.get('/slow', async () => {
      handlerStarted();
      await new Promise<void>((resolve, reject) => {
        finishHandler = (outcome) => (outcome === 'resolve' ? resolve() : reject(new Error('x')));
      });
      handlerDone = true;
      return { done: true };
    });
    fastify.get('/quick', () => ({ ok: true }));
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    port = (fastify.server.address() as AddressInfo).port;
  });

  afterEach(async () => {
    finishHandler?.('resolve');
    await fastify.close();
  });

  it('waits for a handler whose client reset the connection, with new connections refused', async () => {
    await requestThenReset(port, started);

    let closed = false;
    const closing = fastify.close().then(() => (closed = true));
    // Not a fixed pause: on a loaded machine close takes a while to reach the drain.
    await waitReported;

    expect(closed).toBe(false);
    expect(waitedFor).toEqual([1]);
    expect(await connectionRefused(port)).toBe(true);
    finishHandler('resolve');
    await closing;
    expect(handlerDone).toBe(true);
  });

  it('lets close finish when the handler it waits for fails', async () => {
    await requestThenReset(port, started);
    const closing = fastify.close();
    await new Promise((later) => setTimeout(later, 20));

    finishHandler('reject');

    await expect(closing).resolves.toBeUndefined();
  });

  it('closes without waiting once every handler has finished', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/quick`);
    expect(await response.json()).toEqual({ ok: true });

    await fastify.close();

    expect(waitedFor).toEqual([]);
  });
});
