import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The user exec commands run as (spawned with its uid and gid, no supplementary groups). */
export interface ExecUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

/** The user exec commands run as by default when the daemon runs as root. */
export const DEFAULT_EXEC_USER = 'nobody';

interface PasswdEntry {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

function passwdEntries(path: string): PasswdEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').flatMap((line) => {
    const fields = line.split(':');
    if (line.startsWith('#') || fields.length < 7) return [];
    const [name, , uid, gid, , home] = fields as [string, string, string, string, string, string];
    return [{ name, uid: Number(uid), gid: Number(gid), home }];
  });
}

/** `id -u NAME` / `id -g NAME` for users that only the name service knows (LDAP, ...). */
function fromIdCommand(name: string): PasswdEntry | undefined {
  try {
    const id = (flag: string) =>
      Number(execFileSync('id', [flag, name], { encoding: 'utf8', stdio: 'pipe' }).trim());
    const uid = id('-u');
    const gid = id('-g');
    return Number.isInteger(uid) && Number.isInteger(gid)
      ? { name, uid, gid, home: '/' }
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Finds the user of `--exec-user`: a name (from /etc/passwd, else `id`), a uid (its passwd entry
 * when there is one) or `uid:gid`. Returns an error text when there is no such user.
 */
export function lookupExecUser(spec: string, passwd = '/etc/passwd'): ExecUser | string {
  const entries = passwdEntries(passwd);
  const numeric = /^(\d+)(?::(\d+))?$/.exec(spec);
  if (numeric) {
    const uid = Number(numeric[1]);
    const entry = entries.find((e) => e.uid === uid);
    const gid = numeric[2] !== undefined ? Number(numeric[2]) : (entry?.gid ?? uid);
    return { name: entry?.name ?? String(uid), uid, gid, home: entry?.home ?? '/' };
  }
  const entry = entries.find((e) => e.name === spec) ?? fromIdCommand(spec);
  if (!entry) return `there is no user "${spec}" on this system`;
  return entry;
}

/**
 * Who exec commands run as: `--exec-user` when given (switching needs root); unset, `nobody` when
 * the daemon runs as root, else undefined (the daemon's own user). An error text when impossible.
 */
export function execUserFor(
  spec: string | undefined,
  currentUid: number | undefined,
  passwd = '/etc/passwd',
): ExecUser | undefined | string {
  const root = currentUid === 0;
  if (spec === undefined && !root) return undefined;
  const user = lookupExecUser(spec ?? DEFAULT_EXEC_USER, passwd);
  if (typeof user === 'string') {
    return spec === undefined
      ? `the daemon runs as root, so exec commands run as "${DEFAULT_EXEC_USER}", but ${user}; name an unprivileged user with --exec-user`
      : user;
  }
  if (!root && user.uid !== currentUid) {
    return `running commands as ${user.name} (uid ${user.uid}) needs root; the daemon runs as uid ${String(currentUid)}`;
  }
  return user;
}
