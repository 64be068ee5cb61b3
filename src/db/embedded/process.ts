import { type ChildProcess, spawn } from 'node:child_process';

import { EmbeddedPostgresError } from './errors.js';
import type { ServerUser } from './server-user.js';

export interface SpawnOptions {
  /** Run as this user (we are root), else as ourselves. */
  readonly user: ServerUser | null;
  /** A folder the (server) user can reach. */
  readonly cwd: string;
}

/** The last lines a child wrote, for the one-line error when it fails. */
class Tail {
  private lines: string[] = [];
  push(chunk: Buffer): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (this.lines.length > 20) this.lines = this.lines.slice(-20);
  }
  text(count = 5): string {
    return this.lines.slice(-count).join(' | ') || 'no output';
  }
}

function spawnChild(file: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  return spawn(file, args, {
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: Ctrl-C reaches the controller, which stops the server in order.
    detached: true,
    // Messages in English, whatever the user's locale (we match on them).
    env: { ...process.env, LC_MESSAGES: 'C', LANG: 'C.UTF-8' },
    ...(options.user ? { uid: options.user.uid, gid: options.user.gid } : {}),
  });
}

function spawnFailure(file: string, error: NodeJS.ErrnoException, options: SpawnOptions): string {
  const who = options.user ? ` as the "${options.user.name}" user` : '';
  return `cannot run ${file}${who}: ${error.code ?? error.message}`;
}

/** Runs initdb to completion; every failure (cannot spawn, non-zero exit) is one line. */
export function runInitdb(
  initdb: string,
  args: readonly string[],
  options: SpawnOptions,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const tail = new Tail();
    const child = spawnChild(initdb, args, options);
    child.stdout?.on('data', (chunk: Buffer) => tail.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => tail.push(chunk));
    child.on('error', (error) =>
      reject(new EmbeddedPostgresError(spawnFailure(initdb, error, options), { cause: error })),
    );
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new EmbeddedPostgresError(
            `initdb failed (${signal ?? `exit code ${code}`}): ${tail.text()}`,
          ),
        );
    });
  });
}

export interface RunningServer {
  readonly pid: number;
  /** Fast shutdown (SIGINT), then waits for the process to exit. */
  stop(): Promise<void>;
}

/**
 * Starts `postgres` and resolves once it accepts connections; rejects with one line (the
 * server's last words) when it cannot be spawned or exits first. `onLog` gets every line after.
 */
export function startServer(
  postgres: string,
  args: readonly string[],
  options: SpawnOptions & { readonly onExit: (code: number | null) => void },
): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const tail = new Tail();
    const child = spawnChild(postgres, args, options);
    let ready = false;
    let recent = '';
    let stopping = false;
    const exited = new Promise<void>((done) => child.once('close', () => done()));
    child.stdout?.on('data', (chunk: Buffer) => tail.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => {
      tail.push(chunk);
      recent = (recent + chunk.toString('utf8')).slice(-200);
      if (!ready && recent.includes('ready to accept connections')) {
        ready = true;
        resolve({
          pid: child.pid ?? -1,
          stop: async () => {
            stopping = true;
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
            await exited;
          },
        });
      }
    });
    child.on('error', (error) => {
      if (!ready)
        reject(new EmbeddedPostgresError(spawnFailure(postgres, error, options), { cause: error }));
    });
    child.on('close', (code) => {
      if (!ready) {
        reject(new EmbeddedPostgresError(`PostgreSQL exited during start: ${tail.text()}`));
      } else if (!stopping) {
        options.onExit(code);
      }
    });
  });
}
