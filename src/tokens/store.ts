import { createHash, randomBytes } from 'node:crypto';

import { z } from 'zod';

import { isUniqueViolation } from '../db/errors.js';
import { type Db, defineQuery } from '../db/sql-files.js';
import { badRequest, conflict, notFound } from '../http/errors.js';
import { isRole, type Role, ROLES } from './roles.js';

export const TokenRow = z.object({
  id: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  created_by: z.string(),
  created_at: z.date(),
  last_used_at: z.date().nullable(),
  expires_at: z.date().nullable(),
  revoked_at: z.date().nullable(),
});
export type ApiToken = z.infer<typeof TokenRow>;

const insertToken = defineQuery<
  {
    name: string;
    role: Role;
    tokenHash: string;
    createdBy: string;
    now: Date;
    expiresAt: Date | null;
  },
  typeof TokenRow
>('InsertApiToken', TokenRow);
const listTokensQuery = defineQuery<Record<string, never>, typeof TokenRow>(
  'ListApiTokens',
  TokenRow,
);
const findByHash = defineQuery<{ tokenHash: string }, typeof TokenRow>(
  'FindApiTokenByHash',
  TokenRow,
);
const revokeQuery = defineQuery<{ ref: string; now: Date }, typeof TokenRow>(
  'RevokeApiToken',
  TokenRow,
);
const touchQuery = defineQuery<{ id: string; now: Date }, z.ZodTypeAny>(
  'TouchApiToken',
  z.unknown(),
);

/** Prefix of generated tokens, so a leaked one is recognizable (secret scanners, logs). */
export const TOKEN_PREFIX = 'pbc_';
export const TOKEN_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** A new token: `pbc_` and 256 random bits (base64url). */
export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** What the database stores of a token: its hex SHA-256 (the token is high-entropy, no salt needed). */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface NewToken {
  readonly name: string;
  readonly role: string;
  readonly createdBy: string;
  /** undefined = never expires. */
  readonly expiresAt?: Date;
}

/** Creates a token; returns its row and its text, which is stored nowhere. */
export async function createToken(
  db: Db,
  input: NewToken,
  now: Date,
): Promise<{ token: string; row: ApiToken }> {
  const problems = [];
  if (!TOKEN_NAME_PATTERN.test(input.name)) {
    problems.push({
      path: 'name',
      message:
        'must be 1-64 characters: letters, digits, ".", "_" or "-", starting with a letter or digit',
    });
  }
  if (!isRole(input.role)) {
    problems.push({ path: 'role', message: `must be one of ${ROLES.join(', ')}` });
  }
  if (input.expiresAt !== undefined && input.expiresAt.getTime() <= now.getTime()) {
    problems.push({ path: 'expires', message: 'must be in the future' });
  }
  if (problems.length > 0) throw badRequest('invalid token', problems);
  const token = generateToken();
  try {
    const row = await insertToken.one(db, {
      name: input.name,
      role: input.role as Role,
      tokenHash: hashToken(token),
      createdBy: input.createdBy,
      now,
      expiresAt: input.expiresAt ?? null,
    });
    return { token, row };
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw conflict(`a live token named "${input.name}" exists; revoke it first`, [
        { path: 'name', message: 'is taken' },
      ]);
    }
    throw error;
  }
}

export async function listTokens(db: Db): Promise<readonly ApiToken[]> {
  return listTokensQuery.any(db, {});
}

/** Revokes the live token with this name or id; 404 when there is none. */
export async function revokeToken(db: Db, ref: string, now: Date): Promise<ApiToken> {
  const row = await revokeQuery.maybeOne(db, { ref, now });
  if (!row) throw notFound(`no live token named "${ref}"`);
  return row;
}

export async function findTokenByText(db: Db, token: string): Promise<ApiToken | null> {
  return findByHash.maybeOne(db, { tokenHash: hashToken(token) });
}

export async function touchToken(db: Db, id: string, now: Date): Promise<void> {
  await touchQuery.exec(db, { id, now });
}

/** A token's state at `now`. */
export function tokenState(row: ApiToken, now: Date): 'live' | 'expired' | 'revoked' {
  if (row.revoked_at) return 'revoked';
  if (row.expires_at && row.expires_at.getTime() <= now.getTime()) return 'expired';
  return 'live';
}

/** The JSON of a token for `tokens list --json` (never the hash). */
export function tokenJson(row: ApiToken, now: Date) {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    state: tokenState(row, now),
    created_by: row.created_by,
    created_at: row.created_at.toISOString(),
    last_used_at: row.last_used_at?.toISOString() ?? null,
    expires_at: row.expires_at?.toISOString() ?? null,
    revoked_at: row.revoked_at?.toISOString() ?? null,
  };
}
