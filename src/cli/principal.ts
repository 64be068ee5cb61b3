import { userInfo } from 'node:os';

/**
 * Who a command run straight against the database acts as, for the record (template versions,
 * canceled jobs, pauses, token creators): `cli:<OS user>`.
 */
export function cliPrincipal(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}
