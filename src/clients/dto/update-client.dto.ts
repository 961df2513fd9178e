import { ClientGrant, ClientGrants, ClientName, ClientScopes } from './client-fields';

/** Whether a client is public is fixed at creation: a secret cannot be added or taken away. */
export class UpdateClientDto {
  @ClientName({ optional: true })
  name?: string;

  @ClientScopes({ optional: true })
  scopes?: string[];

  @ClientGrants('A public client may not have client_credentials')
  grants?: ClientGrant[];
}
