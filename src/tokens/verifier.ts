import type { Db } from '../db/sql-files.js';
import { AppError } from '../http/errors.js';
import type { Logger } from '../log/logger.js';
import type { Clock } from '../util/clock.js';
import type { Principal } from './roles.js';
import { findTokenByText, TOKEN_PREFIX, tokenState, touchToken } from './store.js';

/** Resolves a bearer token from the database; throws a 401 AppError when it is no good. */
export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
}

/** last_used_at is written at most this often per token and process. */
export const LAST_USED_WRITE_INTERVAL_MS = 60_000;

const invalid = () => new AppError(401, 'unauthorized', 'invalid API token');

/**
 * Looks tokens up by hash on every request (a primary-key probe, so a revocation takes effect at
 * once) and records their use at most once a minute per token.
 */
export function databaseTokenVerifier(deps: {
  readonly db: Db;
  readonly clock: Clock;
  readonly logger: Logger;
}): TokenVerifier {
  const lastWritten = new Map<string, number>();
  return {
    async verify(token) {
      // Only generated tokens are looked up: anything else cannot be in the table.
      if (!token.startsWith(TOKEN_PREFIX)) throw invalid();
      const row = await findTokenByText(deps.db, token);
      if (!row) throw invalid();
      const now = deps.clock.now();
      const state = tokenState(row, now);
      if (state !== 'live') {
        const when = (state === 'revoked' ? row.revoked_at : row.expires_at)?.toISOString();
        throw new AppError(401, 'unauthorized', `API token "${row.name}" ${state} at ${when}`);
      }
      const previous = lastWritten.get(row.id);
      if (previous === undefined || now.getTime() - previous >= LAST_USED_WRITE_INTERVAL_MS) {
        lastWritten.set(row.id, now.getTime());
        await touchToken(deps.db, row.id, now).catch((error: unknown) => {
          deps.logger.warn({ err: error, token: row.name }, 'could not record token use');
        });
      }
      return { name: row.name, role: row.role, kind: 'token' };
    },
  };
}
