import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { USER_SCOPES } from './auth/scopes';
import { OAUTH2_SCHEME } from './common/api-bearer-access.decorator';

/** Swagger UI at /docs and the OpenAPI document at /docs-json. */
export function setupSwagger(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Portcullis')
    .setDescription(
      'Authentication and token service. Press Authorize, log in with a username and password ' +
        '(leave client_id and client_secret empty), then try any route.',
    )
    .setVersion('1')
    .addOAuth2(
      {
        type: 'oauth2',
        flows: {
          password: {
            tokenUrl: '/auth/token',
            scopes: Object.fromEntries(USER_SCOPES.map((scope) => [scope, `${scope} access`])),
          },
        },
      },
      OAUTH2_SCHEME,
    )
    // The OAuth endpoints' optional client authentication (@ApiBasicAuth names this scheme).
    .addBasicAuth(
      { type: 'http', scheme: 'basic', description: 'A registered client: client id and secret' },
      'basic',
    )
    .build();
  // Built on the first request for it, not at start-up: it is the largest piece of start-up work
  // after module loading, and most instances never serve it.
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, config), {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { persistAuthorization: false },
  });
}
