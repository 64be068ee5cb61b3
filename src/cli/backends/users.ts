import {
  changeUserStatus,
  createUser,
  listUsers,
  type NewUser,
  userJson,
} from '../../users/users.js';
import { systemClock } from '../../util/clock.js';
import { withDatabase } from '../database.js';
import { ApiClient, segment } from './http.js';
import { apiTarget } from './target.js';

export type UserJson = ReturnType<typeof userJson>;

/** `users create|list|suspend|activate`, on the database or over the API. */
export interface UsersClient {
  create(input: NewUser): Promise<UserJson>;
  list(): Promise<readonly UserJson[]>;
  setStatus(ref: string, action: 'suspend' | 'activate'): Promise<UserJson>;
}

function databaseUsers(flags: Record<string, unknown>): UsersClient {
  return {
    create: async (input) =>
      userJson(await withDatabase(flags, ({ pool }) => createUser(pool, input, systemClock.now()))),
    list: async () => (await withDatabase(flags, ({ pool }) => listUsers(pool))).map(userJson),
    setStatus: async (ref, action) =>
      userJson(
        await withDatabase(flags, ({ pool }) =>
          changeUserStatus(
            pool,
            ref,
            action === 'suspend' ? 'suspended' : 'active',
            systemClock.now(),
          ),
        ),
      ),
  };
}

function apiUsers(api: ApiClient): UsersClient {
  return {
    create: (input) => api.send<UserJson>('POST', '/users', input),
    list: async () => (await api.get<{ users: UserJson[] }>('/users')).users,
    setStatus: (ref, action) => api.send<UserJson>('POST', `/users/${segment(ref)}/${action}`),
  };
}

/** The users client of a command: over HTTP with a URL, else on the database. */
export function usersClient(flags: Record<string, unknown>): UsersClient {
  const target = apiTarget(flags);
  return target ? apiUsers(new ApiClient(target)) : databaseUsers(flags);
}
