import helmet, { HelmetOptions } from 'helmet';
import { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { Socket } from 'node:net';

const HELMET_OPTIONS: HelmetOptions = {
  frameguard: { action: 'deny' },
  contentSecurityPolicy: {
    directives: {
      // Nothing here is meant to be framed; Swagger UI loads its scripts and styles from /docs.
      frameAncestors: ["'none'"],
      // Swagger UI's CSS loads no fonts and no remote styles; its images are data: URIs. Its page
      // and React set inline styles, hence 'unsafe-inline'.
      fontSrc: null,
      styleSrc: ["'self'", "'unsafe-inline'"],
      // TLS is the proxy's job (and HSTS's); upgrading would break Swagger UI on plain http.
      upgradeInsecureRequests: null,
    },
  },
};

/** Swagger UI's page and its files are the only documents a browser renders from this service. */
const DOCUMENT_PATH = /^\/docs(?:[/?]|$)/;

/**
 * What an API response needs (OWASP REST Security Cheat Sheet, "Security headers"): a JSON body
 * loads nothing and must never be framed, sniffed as HTML or embedded cross-origin. helmet's other
 * headers (COOP, Origin-Agent-Cluster, X-DNS-Prefetch-Control, X-Download-Options,
 * X-Permitted-Cross-Domain-Policies, X-XSS-Protection) only mean something for a document.
 */
const API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'";
const API_HEADERS_FROM_HELMET = [
  'cross-origin-resource-policy',
  'referrer-policy',
  'strict-transport-security',
  'x-content-type-options',
  'x-frame-options',
] as const;

export interface SecurityHeaders {
  /** helmet's full set, for Swagger UI's page and files. */
  documents: Readonly<OutgoingHttpHeaders>;
  /** For every other response: JSON and problem+json. */
  api: Readonly<OutgoingHttpHeaders>;
}

/**
 * The headers helmet sets, captured once by running it against a throwaway response. None of
 * them depends on the request (no CSP nonces), and @fastify/helmet rebuilt the whole middleware
 * on every request, which cost about a quarter of the throughput of a cheap route (issue 5).
 * API responses carry the subset that applies to them: every header is validated and written
 * for every response, and the document set cost a cheap route about a tenth of its CPU.
 */
export function securityHeaders(): SecurityHeaders {
  const request = new IncomingMessage(new Socket());
  const response = new ServerResponse(request);
  helmet(HELMET_OPTIONS)(request, response, (error?: unknown) => {
    if (error) {
      throw new Error('helmet could not build the security headers', { cause: error });
    }
  });
  const documents = response.getHeaders();
  const api: OutgoingHttpHeaders = {
    'content-security-policy': API_CONTENT_SECURITY_POLICY,
    ...Object.fromEntries(API_HEADERS_FROM_HELMET.map((name) => [name, documents[name]])),
  };
  return { documents: Object.freeze(documents), api: Object.freeze(api) };
}

/** The set a response to `url` (path and query, as Fastify's request.url) gets. */
export function securityHeadersFor(
  headers: SecurityHeaders,
  url: string,
): Readonly<OutgoingHttpHeaders> {
  return DOCUMENT_PATH.test(url) ? headers.documents : headers.api;
}
