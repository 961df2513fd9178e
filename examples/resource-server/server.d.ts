import type { Server } from 'node:http';

export interface ResourceServerOptions {
  issuer: string;
  audience: string;
  algorithms?: string[];
  requiredScope?: string;
  jwksCooldownMs?: number;
}

export function createResourceServer(options: ResourceServerOptions): Server;
