import { arrayOf, component, dateTime, enumOf, object, ref, string, uuid } from '../http/schema.js';
import { USER_STATUSES } from './users.js';

export const UserJson = component(
  'User',
  object({
    id: uuid,
    username: string,
    email: string,
    status: enumOf(USER_STATUSES),
    roles: arrayOf(string),
    created_at: dateTime,
  }),
);

export const UserList = object({ users: arrayOf(ref(UserJson)) });
