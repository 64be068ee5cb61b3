import { createHash, timingSafeEqual } from 'node:crypto';

import type { FastifyRequest } from 'fastify';

import { AppError } from './errors.js';

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

/**
 * Guards /api: with a token configured, every request needs `Authorization: Bearer <token>`;
 * without one, only requests from the loopback interface are answered.
 */
export function checkApiAccess(request: FastifyRequest, token: string | undefined): void {
  if (token === undefined) {
    if (!isLoopbackAddress(request.socket.remoteAddress)) {
      throw new AppError(
        403,
        'forbidden',
        'the API has no token configured and answers loopback requests only; set PREBUILD_CONTROLLER_API_TOKEN',
      );
    }
    return;
  }
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
  if (!match) {
    throw new AppError(401, 'unauthorized', 'missing "Authorization: Bearer <token>" header');
  }
  if (!tokenMatches(token, match[1] as string)) {
    throw new AppError(401, 'unauthorized', 'invalid API token');
  }
}
