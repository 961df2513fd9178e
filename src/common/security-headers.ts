import helmet, { HelmetOptions } from 'helmet';
import { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { Socket } from 'node:net';

const HELMET_OPTIONS: HelmetOptions = {
  frameguard: { action: 'deny' },
  contentSecurityPolicy: {
    directives: {
      // Nothing here is meant to be framed; Swagger UI loads its scripts and styles from /docs.
      frameAncestors: ["'none'"],
      // TLS is the proxy's job (and HSTS's); upgrading would break Swagger UI on plain http.
      upgradeInsecureRequests: null,
    },
  },
};

/**
 * The headers helmet sets, captured once by running it against a throwaway response. None of
 * them depends on the request (no CSP nonces), and @fastify/helmet rebuilt the whole middleware
 * on every request, which cost about a quarter of the throughput of a cheap route (issue 5).
 */
export function securityHeaders(): Readonly<OutgoingHttpHeaders> {
  const request = new IncomingMessage(new Socket());
  const response = new ServerResponse(request);
  helmet(HELMET_OPTIONS)(request, response, (error?: unknown) => {
    if (error) {
      throw new Error('helmet could not build the security headers', { cause: error });
    }
  });
  return Object.freeze(response.getHeaders());
}
