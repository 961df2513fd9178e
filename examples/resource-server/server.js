'use strict';
// A service protecting its routes with Portcullis access tokens, verified offline against the
// JWKS. Nothing here calls Portcullis per request: keys are fetched once and cached (10 minutes,
// jose's default). Portcullis publishes the key a rotation promotes ahead of time, so the cached
// set verifies tokens signed after a rotation; an unknown kid refetches it (at most every 30 s).
const http = require('node:http');
const { createRemoteJWKSet, jwtVerify, errors } = require('jose');

/**
 * @param {object} options
 * @param {string} options.issuer    Portcullis's ISSUER, e.g. https://auth.example.com
 * @param {string} options.audience  Portcullis's AUDIENCE (the `aud` your service accepts)
 * @param {string[]} [options.algorithms]  pin to Portcullis's JWT_ALG; never accept a list from the token
 * @param {string} [options.requiredScope] scope a caller needs for GET /orders
 */
function createResourceServer({
  issuer,
  audience,
  algorithms = ['RS256'],
  requiredScope = 'orders:read',
}) {
  const jwks = createRemoteJWKSet(new URL('/.well-known/jwks.json', issuer));

  async function authenticate(request) {
    const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(request.headers.authorization ?? '');
    if (!match) {
      return { status: 401, challenge: 'Bearer realm="orders"' };
    }
    try {
      const { payload } = await jwtVerify(match[1], jwks, {
        issuer,
        audience,
        algorithms,
        typ: 'at+jwt', // RFC 9068: refuse ID tokens and other JWTs that happen to be signed by the same key
        clockTolerance: 30,
        requiredClaims: ['exp', 'iat', 'sub', 'jti'],
      });
      const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
      if (!scopes.includes(requiredScope)) {
        return {
          status: 403,
          challenge: `Bearer realm="orders", error="insufficient_scope", scope="${requiredScope}"`,
        };
      }
      return { status: 200, caller: payload };
    } catch (error) {
      if (error instanceof errors.JOSEError) {
        return { status: 401, challenge: 'Bearer realm="orders", error="invalid_token"' };
      }
      throw error; // the JWKS could not be fetched: a 5xx, not the caller's fault
    }
  }

  return http.createServer((request, response) => {
    const send = (status, body, headers = {}) => {
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(JSON.stringify(body));
    };
    if (request.method !== 'GET' || request.url !== '/orders') {
      send(404, { error: 'not found' });
      return;
    }
    authenticate(request).then(
      (result) => {
        if (result.status !== 200) {
          send(
            result.status,
            { error: result.status === 403 ? 'insufficient_scope' : 'invalid_token' },
            {
              'www-authenticate': result.challenge,
            },
          );
          return;
        }
        send(200, {
          caller: result.caller.sub,
          clientId: result.caller.client_id ?? null,
          orders: [],
        });
      },
      () => send(503, { error: 'cannot verify tokens right now' }),
    );
  });
}

module.exports = { createResourceServer };

if (require.main === module) {
  const issuer = process.env.PORTCULLIS_ISSUER ?? 'http://127.0.0.1:3000';
  const server = createResourceServer({
    issuer,
    audience: process.env.PORTCULLIS_AUDIENCE ?? issuer,
    algorithms: [process.env.PORTCULLIS_ALG ?? 'RS256'],
  });
  const port = Number(process.env.PORT ?? 4000);
  server.listen(port, '127.0.0.1', () =>
    console.log(`orders service on http://127.0.0.1:${port}/orders`),
  );
}
