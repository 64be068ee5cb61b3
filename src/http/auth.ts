import { createHash, timingSafeEqual } from 'node:crypto';

import type { FastifyRequest } from 'fastify';

import {
  BOOTSTRAP_PRINCIPAL,
  LOOPBACK_PRINCIPAL,
  type Principal,
  type Role,
  roleAllows,
  rolesAllowed,
} from '../tokens/roles.js';
import type { TokenVerifier } from '../tokens/verifier.js';
import { AppError } from './errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The role an /api/v1 route needs (required: registering a route without one fails). */
    role?: Role;
  }
  interface FastifyRequest {
    /** Who is calling; set on every /api/v1 request before its handler runs. */
    principal: Principal;
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Compares in constant time (both sides hashed first so lengths never leak). */
export function tokenMatches(expected: string, given: string): boolean {
  return timingSafeEqual(digest(expected), digest(given));
}

export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  return (
    address === '::1' ||
    address.startsWith('127.') ||
    address.startsWith('::ffff:127.') ||
    address === 'localhost'
  );
}

/** How /api/v1 authenticates. */
export interface ApiAuth {
  /** PREBUILD_CONTROLLER_API_TOKEN: the bootstrap admin token; undefined = none configured. */
  readonly apiToken: string | undefined;
  /** Database tokens (`prebuild-controller tokens create`); undefined = bootstrap token only. */
  readonly verifier?: TokenVerifier;
}

/**
 * Who is calling /api/v1. A request with `Authorization: Bearer <token>` is the bootstrap admin
 * when the token is PREBUILD_CONTROLLER_API_TOKEN, else the database token's name and role.
 * Without the header, only an API with no configured token answers, and only loopback peers
 * (as admin: the quick start).
 */
export async function authenticate(request: FastifyRequest, auth: ApiAuth): Promise<Principal> {
  const header = request.headers.authorization;
  if (header === undefined) {
    if (auth.apiToken !== undefined) {
      throw new AppError(401, 'unauthorized', 'missing "Authorization: Bearer <token>" header');
    }
    if (!isLoopbackAddress(request.socket.remoteAddress)) {
      throw new AppError(
        403,
        'forbidden',
        'the API has no token configured and answers loopback requests only; set PREBUILD_CONTROLLER_API_TOKEN or send a token made with "prebuild-controller tokens create"',
      );
    }
    return LOOPBACK_PRINCIPAL;
  }
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  if (!match) {
    throw new AppError(401, 'unauthorized', 'missing "Authorization: Bearer <token>" header');
  }
  const token = match[1] as string;
  if (auth.apiToken !== undefined && tokenMatches(auth.apiToken, token)) {
    return BOOTSTRAP_PRINCIPAL;
  }
  if (!auth.verifier) throw new AppError(401, 'unauthorized', 'invalid API token');
  return auth.verifier.verify(token);
}

/** 403 unless the principal's role may call a route needing `needed`. */
export function authorize(principal: Principal, needed: Role): void {
  if (roleAllows(principal.role, needed)) return;
  const allowed = rolesAllowed(needed)
    .map((role) => `"${role}"`)
    .join(' or ');
  throw new AppError(
    403,
    'forbidden',
    `this route needs the "${needed}" role (${allowed}); token "${principal.name}" has role "${principal.role}"`,
  );
}
