import type { FastifyInstance } from 'fastify';

/** How often, while closing, connections whose last response has gone out are closed. */
const IDLE_SWEEP_MS = 100;

/**
 * Makes Fastify's close wait for every route handler still running, including those whose client
 * has gone, and then end promptly.
 *
 * Nest runs a request's guards, pipes, handler and exception filters inside the one function it
 * gives Fastify for the route, and that function keeps running when the connection goes away.
 * Fastify's close waits for open connections only, and a connection reset by the client (or a
 * proxy) is no longer open. Without this, the database could close under such a request: a
 * login's writes failing, or a password change applied without the sessions it revokes.
 *
 * Call before the routes are registered (Nest registers them in `listen` or `init`).
 */
export function drainHandlersOnClose(
  fastify: FastifyInstance,
  onWait: (running: number) => void,
): void {
  // A count, not a set of the handlers' promises: a long-lived set holding every request's
  // promise, even briefly, left 12-16 MiB more in V8's old space after ten seconds of GET
  // /users/me (measured for issue 5, docs/PERFORMANCE.md).
  let running = 0;
  let allSettled: (() => void) | undefined;
  const settled = () => {
    running -= 1;
    if (running === 0) {
      allSettled?.();
    }
  };
  fastify.addHook('onRoute', (route) => {
    const handler = route.handler;
    route.handler = function (this: FastifyInstance, request, reply) {
      const result: unknown = handler.call(this, request, reply);
      if (result instanceof Promise) {
        running += 1;
        result.then(settled, settled);
      }
      return result;
    };
  });
  // Node closes the connections that are idle when the server starts closing, once. One busy
  // then goes idle when its response is out, and a keep-alive client holds it open until the
  // keep-alive timeout (72 s): the process outlived the orchestrator's grace period and was
  // killed instead of exiting 0. So they are closed as they go idle; a request sent on one in
  // the meantime gets Fastify's 503 with `Connection: close`.
  fastify.addHook('preClose', (done) => {
    const server = fastify.server;
    if (server.listening) {
      const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
      server.once('close', () => clearInterval(sweep));
    }
    done();
  });
  // Registered before Fastify's own closing of the server, so it runs after it (onClose hooks
  // run last-registered first): no request can start once this waits.
  fastify.addHook('onClose', async () => {
    if (running > 0) {
      onWait(running);
      await new Promise<void>((resolve) => (allSettled = resolve));
    }
  });
}
