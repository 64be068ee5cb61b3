import { z } from 'zod';

import { isUniqueViolation } from '../db/errors.js';
import { type Db, defineQuery } from '../db/sql-files.js';
import { badRequest, conflict, notFound } from '../http/errors.js';

export const USER_STATUSES = ['active', 'suspended', 'dormant'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

export const UserRow = z.object({
  id: z.string(),
  username: z.string(),
  email: z.string(),
  status: z.enum(USER_STATUSES),
  roles: z.array(z.string()),
  is_system: z.boolean(),
  created_at: z.date(),
  updated_at: z.date(),
});
export type User = z.infer<typeof UserRow>;

const insertUser = defineQuery<
  { username: string; email: string; roles: readonly string[]; now: Date },
  typeof UserRow
>('InsertUser', UserRow);
const listUsersQuery = defineQuery<Record<string, never>, typeof UserRow>('ListUsers', UserRow);
const findUserQuery = defineQuery<{ ref: string }, typeof UserRow>('FindUser', UserRow);
const setUserStatus = defineQuery<{ id: string; status: UserStatus; now: Date }, typeof UserRow>(
  'SetUserStatus',
  UserRow,
);

export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const KNOWN_ROLES = ['template-admin'] as const;

export interface NewUser {
  readonly username: string;
  readonly email?: string;
  readonly roles?: readonly string[];
}

/** Creates a user; a bad name or role is a 400 naming the field, a taken name a 409. */
export async function createUser(db: Db, input: NewUser, now: Date): Promise<User> {
  if (!USERNAME_PATTERN.test(input.username)) {
    throw badRequest('invalid user', [
      {
        path: 'username',
        message:
          'must be 1-64 characters: letters, digits, ".", "_" or "-", starting with a letter or digit',
      },
    ]);
  }
  const unknownRoles = (input.roles ?? []).filter(
    (role) => !(KNOWN_ROLES as readonly string[]).includes(role),
  );
  if (unknownRoles.length > 0) {
    throw badRequest('invalid user', [
      {
        path: 'roles',
        message: `unknown role(s) ${unknownRoles.join(', ')}; known: ${KNOWN_ROLES.join(', ')}`,
      },
    ]);
  }
  try {
    return await insertUser.one(db, {
      username: input.username,
      email: input.email ?? '',
      roles: input.roles ?? [],
      now,
    });
  } catch (error) {
    if (isUniqueViolation(error, 'users_username_key')) {
      throw conflict(`user "${input.username}" already exists`, [
        { path: 'username', message: 'is taken' },
      ]);
    }
    throw error;
  }
}

export async function listUsers(db: Db): Promise<readonly User[]> {
  return listUsersQuery.any(db, {});
}

/** A user by id or username; the system user is found too (callers decide what it may do). */
export async function findUser(db: Db, ref: string): Promise<User | null> {
  return findUserQuery.maybeOne(db, { ref });
}

export async function requireUser(db: Db, ref: string): Promise<User> {
  const user = await findUser(db, ref);
  if (!user) throw notFound(`no user "${ref}"`);
  return user;
}

export async function changeUserStatus(
  db: Db,
  ref: string,
  status: UserStatus,
  now: Date,
): Promise<User> {
  const user = await requireUser(db, ref);
  if (user.is_system) throw badRequest(`the system user "${user.username}" cannot be changed`);
  return setUserStatus.one(db, { id: user.id, status, now });
}

/** The API and --json shape of a user. */
export function userJson(user: User) {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    status: user.status,
    roles: user.roles,
    created_at: user.created_at.toISOString(),
  };
}
