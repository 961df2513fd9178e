import type { Server } from 'node:http';

export interface ResourceServerOptions {
  issuer: string;
  audience: string;
  algorithms?: string[];
  requiredScope?: string;
}

export function createResourceServer(options: ResourceServerOptions): Server;
