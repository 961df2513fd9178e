import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { USER_SCOPES } from './auth/scopes';
import { BEARER_SCHEME, OAUTH2_SCHEME } from './common/api-bearer-access.decorator';
import { PasswordConfig, passwordConfig } from './config/password.config';
import { NEW_PASSWORD_FORMAT } from './users/dto/user-fields';

/**
 * The bounds of the passwords users choose: PASSWORD_MIN_LENGTH is configuration, and decorators
 * run before the app is configured.
 */
function documentNewPasswordLength(
  document: OpenAPIObject,
  { minLength, maxLength }: PasswordConfig,
): OpenAPIObject {
  for (const schema of Object.values(document.components?.schemas ?? {})) {
    const properties = 'properties' in schema ? Object.values(schema.properties ?? {}) : [];
    for (const property of properties) {
      if ('format' in property && property.format === NEW_PASSWORD_FORMAT) {
        Object.assign(property, { minLength, maxLength });
      }
    }
  }
  return document;
}

/** Swagger UI at /docs and the OpenAPI document at /docs-json. */
export function setupSwagger(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Portcullis')
    .setDescription(
      'Authentication and token service. Press Authorize, log in with a username and password ' +
        '(leave client_id and client_secret empty) or paste an access token under "bearer", ' +
        'then try any route.',
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
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: 'An access token from POST /auth/token, e.g. one obtained with curl',
      },
      BEARER_SCHEME,
    )
    // The OAuth endpoints' client authentication (@ApiBasicAuth names this scheme).
    .addBasicAuth(
      { type: 'http', scheme: 'basic', description: 'A registered client: client id and secret' },
      'basic',
    )
    .build();
  const passwords = app.get<PasswordConfig>(passwordConfig.KEY);
  // Built on the first request for it, not at start-up: it is the largest piece of start-up work
  // after module loading, and most instances never serve it.
  SwaggerModule.setup(
    'docs',
    app,
    () => documentNewPasswordLength(SwaggerModule.createDocument(app, config), passwords),
    { jsonDocumentUrl: 'docs-json', swaggerOptions: { persistAuthorization: false } },
  );
}
