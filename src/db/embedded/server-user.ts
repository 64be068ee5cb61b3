import { execFileSync, spawnSync } from 'node:child_process';

import { EmbeddedPostgresError } from './errors.js';

/** The account the server runs as when we are root (PostgreSQL refuses to run as root). */
export interface ServerUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

export const SERVER_USER = 'postgres';

export function runningAsRoot(): boolean {
  return process.getuid?.() === 0;
}

function lookup(name: string): ServerUser | null {
  try {
    const id = (flag: string) =>
      Number(execFileSync('id', [flag, name], { encoding: 'utf8', stdio: 'pipe' }).trim());
    return { name, uid: id('-u'), gid: id('-g') };
  } catch {
    return null;
  }
}

/** The `postgres` user and group, created (as a system account without a login) if missing. */
export function ensureServerUser(name = SERVER_USER): ServerUser {
  const existing = lookup(name);
  if (existing) return existing;
  const run = (command: string, args: string[]) => {
    const result = spawnSync(command, args, { encoding: 'utf8', stdio: 'pipe' });
    if (result.error || result.status !== 0) {
      const why = result.error?.message ?? result.stderr.trim();
      throw new EmbeddedPostgresError(
        `as root the embedded PostgreSQL runs as the unprivileged "${name}" user, which does not exist and could not be created (${command}: ${why}); create it, or set DATABASE_URL`,
      );
    }
  };
  if (spawnSync('getent', ['group', name]).status !== 0) run('groupadd', ['--system', name]);
  run('useradd', [
    '--system',
    '--gid',
    name,
    '--no-create-home',
    '--shell',
    '/usr/sbin/nologin',
    name,
  ]);
  const created = lookup(name);
  if (!created) throw new EmbeddedPostgresError(`created the "${name}" user but cannot look it up`);
  return created;
}

/**
 * Whether `user` can reach `path` (`test -x`: every folder on the way searchable, and the path
 * itself executable/searchable), checked by running `test` as that user: exact, ACLs included.
 */
export function userCanReach(user: ServerUser, path: string): boolean {
  const result = spawnSync('test', ['-x', path], { uid: user.uid, gid: user.gid, stdio: 'ignore' });
  return !result.error && result.status === 0;
}
