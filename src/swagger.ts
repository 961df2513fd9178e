import { INestApplication } from '@nestjs/common';
import {
  DocumentBuilder,
  getSchemaPath,
  OpenAPIObject,
  OperationObject,
  ResponseObject,
  SwaggerModule,
} from '@nestjs/swagger';
import { USER_SCOPES } from './oauth/scopes';
import { BEARER_SCHEME, OAUTH2_SCHEME } from './common/api-bearer-access.decorator';
import { FASTIFY_DETAILS } from './common/error-response';
import { OAuthErrorDto } from './common/oauth-error.dto';
import { ProblemDetailsDto } from './common/problem-details.dto';
import { PasswordConfig, passwordConfig } from './config/password.config';
import { NEW_PASSWORD_FORMAT } from './users/dto/user-fields';

// PASSWORD_MIN_LENGTH is configuration, and decorators run before the app is configured.
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

const FORM = 'application/x-www-form-urlencoded';
const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

function bodyRefusal(oauth: boolean, detail: string): ResponseObject {
  return oauth
    ? {
        description: `invalid_request: ${detail}`,
        content: { 'application/json': { schema: { $ref: getSchemaPath(OAuthErrorDto) } } },
      }
    : {
        description: detail,
        content: {
          'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDetailsDto) } },
        },
      };
}

// The body limit and content-type check are global (app.setup.ts): their 413 and 415 go here.
function documentBodyRefusals(document: OpenAPIObject): OpenAPIObject {
  for (const path of Object.values(document.paths)) {
    for (const method of METHODS) {
      const operation: OperationObject | undefined = path[method];
      const body = operation?.requestBody;
      if (!operation || !body || !('content' in body)) {
        continue;
      }
      const oauth = FORM in body.content;
      operation.responses['413'] ??= bodyRefusal(oauth, FASTIFY_DETAILS[413]);
      operation.responses['415'] ??= bodyRefusal(oauth, FASTIFY_DETAILS[415]);
    }
  }
  return document;
}

export function setupSwagger(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Portcullis')
    .setDescription(
      'Authentication and token service. Press Authorize, log in with a username and password ' +
        '(leave client_id and client_secret empty) or paste an access token or a personal ' +
        'access token (pat_...) under "bearer", then try any route.',
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
        bearerFormat: 'JWT or pat_',
        description:
          'An access token from POST /auth/token (e.g. obtained with curl), or a personal access ' +
          'token (pat_...) from POST /users/me/tokens, limited to its scopes',
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
  // Built on first request: the largest start-up work after loading modules, and rarely served.
  SwaggerModule.setup(
    'docs',
    app,
    () =>
      documentBodyRefusals(
        documentNewPasswordLength(SwaggerModule.createDocument(app, config), passwords),
      ),
    { jsonDocumentUrl: 'docs-json', swaggerOptions: { persistAuthorization: false } },
  );
}
