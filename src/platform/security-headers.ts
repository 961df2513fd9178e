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

/** The only documents a browser renders from this service. */
const DOCUMENT_PATH = /^\/docs(?:[/?]|$)/;

// OWASP REST Security Cheat Sheet, "Security headers": a JSON body loads nothing and must never be
// framed, sniffed or embedded cross-origin; helmet's other headers only matter for documents.
const API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'";
const API_HEADERS_FROM_HELMET = [
  'cross-origin-resource-policy',
  'referrer-policy',
  'strict-transport-security',
  'x-content-type-options',
  'x-frame-options',
] as const;

export interface SecurityHeaders {
  documents: Readonly<OutgoingHttpHeaders>;
  api: Readonly<OutgoingHttpHeaders>;
}

// Captured once from a throwaway response (no header depends on the request): helmet per request
// cost a cheap route a quarter of its throughput (docs/performance.md, Measured machinery).
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

export function securityHeadersFor(
  headers: SecurityHeaders,
  url: string,
): Readonly<OutgoingHttpHeaders> {
  return DOCUMENT_PATH.test(url) ? headers.documents : headers.api;
}
