import { spawnSync } from 'node:child_process';
import { decodeJwt } from 'jose';
import { passwordGrant } from './utils/oauth';
import { registerUser, startTestApp, TestApp } from './utils/test-app';

interface Metadata {
  issuer: string;
  token_endpoint: string;
  revocation_endpoint: string;
  introspection_endpoint: string;
  jwks_uri: string;
  grant_types_supported: string[];
  scopes_supported: string[];
  token_endpoint_auth_methods_supported: string[];
}

describe('GET /.well-known/oauth-authorization-server', () => {
  let t: TestApp;
  let metadata: Metadata;

  beforeAll(async () => {
    t = await startTestApp();
    metadata = (await t.http.get('/.well-known/oauth-authorization-server').expect(200))
      .body as Metadata;
  });

  afterAll(async () => {
    await t.close();
  });

  it('names the issuer that tokens carry and the endpoints that serve them', async () => {
    const pair = await passwordGrant(t, await registerUser(t));
    const claims = decodeJwt(pair.access_token);
    expect(metadata.issuer).toBe(claims.iss);
    expect(metadata).toMatchObject({
      token_endpoint: 'http://portcullis.test/auth/token',
      revocation_endpoint: 'http://portcullis.test/auth/revoke',
      introspection_endpoint: 'http://portcullis.test/auth/introspect',
      jwks_uri: 'http://portcullis.test/.well-known/jwks.json',
    });
    for (const url of [
      metadata.token_endpoint,
      metadata.revocation_endpoint,
      metadata.introspection_endpoint,
    ]) {
      const response = await t.http.post(new URL(url).pathname).send({});
      expect(response.status).not.toBe(404);
    }
    await t.http.get(new URL(metadata.jwks_uri).pathname).expect(200);
  });

  it('lists the grants, scopes and client authentication methods the token endpoint accepts', () => {
    expect(metadata.grant_types_supported.sort()).toEqual([
      'client_credentials',
      'password',
      'refresh_token',
      'urn:portcullis:params:oauth:grant-type:mfa',
    ]);
    expect(metadata.scopes_supported).toContain('profile');
    expect(metadata.token_endpoint_auth_methods_supported.sort()).toEqual([
      'client_secret_basic',
      'client_secret_post',
      'none',
    ]);
  });
});

/** Authlib (Debian's python3-authlib, which .ci/run installs) validates every RFC 8414 member. */
const AUTHLIB = '/usr/bin/python3';
const authlibInstalled = spawnSync(AUTHLIB, ['-c', 'import authlib']).status === 0;

if (authlibInstalled) {
  describe('the metadata document, checked by a third-party validator', () => {
    let t: TestApp;

    beforeAll(async () => {
      // Authlib requires an https issuer, as RFC 8414 section 2 does.
      t = await startTestApp({ ISSUER: 'https://auth.portcullis.test' });
    });

    afterAll(async () => {
      await t.close();
    });

    it("passes Authlib's AuthorizationServerMetadata.validate()", async () => {
      const { text } = await t.http.get('/.well-known/oauth-authorization-server').expect(200);
      const check = spawnSync(
        AUTHLIB,
        [
          '-c',
          'import json, sys\n' +
            'from authlib.oauth2.rfc8414 import AuthorizationServerMetadata\n' +
            'AuthorizationServerMetadata(json.load(sys.stdin)).validate()\n' +
            'print("valid")',
        ],
        { input: text, encoding: 'utf8' },
      );
      expect({ stdout: check.stdout.trim(), stderr: check.stderr }).toEqual({
        stdout: 'valid',
        stderr: '',
      });
    });
  });
}
