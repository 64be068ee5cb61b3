import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { sql } from 'slonik';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';

import { main } from '../../src/cli/main.js';
import { JobReaper } from '../../src/jobs/reaper.js';
import { silentLogger } from '../../src/log/logger.js';
import { useTestDatabase } from '../helpers/db.js';
import { createTarget, enqueue, jobState, waitForJob } from './helpers.js';
import { freePort } from '../helpers/net.js';

const db = useTestDatabase();
const root = fileURLToPath(new URL('../..', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'cli-test-'));
// Exec commands of a daemon started as root run as nobody: they write their pid files here.
chmodSync(scratch, 0o777);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

function provisionerd(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fixture('cli.ts'), 'provisionerd', ...args],
    {
      cwd: root,
      env: { ...process.env, DATABASE_URL: db.url, LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { child, exited, output: () => output };
}

const Daemon = z.object({ id: z.string() });
const daemonId = (name: string) =>
  db.pool.maybeOneFirst(sql.type(Daemon)`SELECT id FROM provisioner_daemons WHERE name = ${name}`);

/**
 * The fixtures live in the checkout, which may sit in a folder only its owner can enter (a
 * mode-700 home): a root daemon's default exec user (nobody) could not run them. Tests that are
 * not about the exec user keep the daemon's own.
 */
const AS_THIS_USER = process.getuid?.() === 0 ? ['--exec-user', '0'] : [];

describe('prebuild-controller provisionerd', () => {
  it('builds workspaces until SIGTERM, then stops cleanly', { timeout: 60_000 }, async () => {
    const tags = { test: randomUUID().slice(0, 8) };
    const name = `cli-${tags.test}`;
    const port = await freePort();
    const daemon = provisionerd([
      '--metrics-listen',
      `127.0.0.1:${port}`,
      '--provisioner',
      'exec',
      '--exec-command',
      fixture('build-ok.sh'),
      ...AS_THIS_USER,
      '--tags',
      `test=${tags.test}`,
      '--concurrency',
      '2',
      '--name',
      name,
    ]);
    await vi.waitFor(async () => expect(await daemonId(name)).not.toBeNull(), { timeout: 30_000 });
    const { job } = await enqueue(
      db.pool,
      await createTarget(db.pool, { tags, provisioner: 'exec' }),
    );
    expect(await waitForJob(db.pool, job.id, undefined, 30_000)).toMatchObject({
      job_status: 'succeeded',
    });
    const Worker = z.object({ worker_id: z.string() });
    expect(
      await db.pool.oneFirst(
        sql.type(Worker)`SELECT worker_id FROM provisioner_jobs WHERE id = ${job.id}`,
      ),
    ).toBe(await daemonId(name));
    // The daemon serves its own counters: a `run` replica cannot see them.
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(
      /^coderd_provisioner_jobs_acquired_total\{provisioner="exec",type="workspace_build"\} 1$/m,
    );
    expect(metrics).toMatch(
      /^coderd_provisioner_jobs_completed_total\{provisioner="exec",type="workspace_build"\} 1$/m,
    );
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
    expect(daemon.output()).toContain('provisionerd stopped');
  });

  it(
    'stays up when its database connections are terminated while idle, reconnects, and runs the next job',
    { timeout: 60_000 },
    async () => {
      const tags = { test: randomUUID().slice(0, 8) };
      const name = `cli-${tags.test}`;
      const daemon = provisionerd([
        '--provisioner',
        'echo',
        '--echo-duration',
        '0s',
        '--tags',
        `test=${tags.test}`,
        '--name',
        name,
      ]);
      await vi.waitFor(() => expect(daemon.output()).toContain('provisionerd running'), {
        timeout: 30_000,
      });
      // Every backend of the daemon (its pool and its LISTEN connection), as a failover would.
      const Count = z.object({ n: z.number() });
      const killed = () =>
        db.pool.oneFirst(sql.type(Count)`
          SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
          WHERE datname = current_database()
            AND application_name IN ('prebuild-controller provisionerd', 'prebuild-controller listener')`);
      expect(await killed()).toBeGreaterThan(0);
      // The listener reconnects (its backoff starts at 100 ms): the process must still be there.
      await vi.waitFor(() => expect(daemon.output()).toContain('listener reconnected'), {
        timeout: 20_000,
      });
      expect(daemon.child.exitCode).toBeNull();
      const { job } = await enqueue(db.pool, await createTarget(db.pool, { tags }));
      expect(await waitForJob(db.pool, job.id, undefined, 30_000)).toMatchObject({
        job_status: 'succeeded',
      });
      daemon.child.kill('SIGTERM');
      expect(await daemon.exited).toBe(0);
    },
  );

  it(
    "runs exec commands as nobody (as root), with an allow-listed environment and no way to the daemon's secrets",
    { timeout: 60_000 },
    async () => {
      const tags = { test: randomUUID().slice(0, 8) };
      // $PPID of the command (run by /bin/sh -c) is the daemon itself.
      const probe = [
        'echo "uid=$(id -u) parent=$(cat /proc/$PPID/comm)"',
        'if cat /proc/$PPID/environ >/dev/null 2>&1; then echo parent_environ=readable; else echo parent_environ=unreadable; fi',
        'echo "database_url=${DATABASE_URL:-unset} token=${PREBUILD_CONTROLLER_API_TOKEN:-unset}"',
        'env | sort | sed "s/^/env: /"',
      ].join('; ');
      const daemon = provisionerd(
        [
          '--provisioner',
          'exec',
          '--exec-command',
          `probe=${probe}`,
          '--exec-command',
          'other=true',
          '--exec-env',
          'EXTRA_ALLOWED,SOME_PREFIX_*',
          '--tags',
          `test=${tags.test}`,
        ],
        {
          PREBUILD_CONTROLLER_API_TOKEN: 'secret-api-token',
          EXTRA_ALLOWED: 'yes',
          SOME_PREFIX_A: 'a',
          NOT_ALLOWED: 'no',
        },
      );
      const { job } = await enqueue(
        db.pool,
        await createTarget(db.pool, {
          tags,
          provisioner: 'exec',
          config: { exec: { command: 'probe' } },
        }),
      );
      expect(await waitForJob(db.pool, job.id, undefined, 30_000)).toMatchObject({
        job_status: 'succeeded',
      });
      const Output = z.object({ output: z.string() });
      const lines = await db.pool.manyFirst(sql.type(Output)`
        SELECT output FROM provisioner_job_logs WHERE job_id = ${job.id} ORDER BY id`);
      const rootDaemon = process.getuid?.() === 0;
      // The log names the command, never its text.
      expect(lines).toContainEqual(
        expect.stringMatching(
          rootDaemon
            ? /^running exec command "probe" as nobody \(timeout/
            : /^running exec command "probe" \(timeout/,
        ),
      );
      expect(lines.join('\n')).not.toContain('/proc/$PPID');
      expect(lines).toContainEqual(`uid=${rootDaemon ? 65534 : process.getuid?.()} parent=node`);
      // Only a root daemon can keep its own environment from its commands: they run as nobody.
      expect(lines).toContainEqual(`parent_environ=${rootDaemon ? 'unreadable' : 'readable'}`);
      expect(lines).toContainEqual('database_url=unset token=unset');
      const env = lines.filter((line) => line.startsWith('env: ')).map((line) => line.slice(5));
      expect(env).toEqual(
        expect.arrayContaining(['EXTRA_ALLOWED=yes', 'SOME_PREFIX_A=a', 'TRANSITION=start']),
      );
      expect(env.some((line) => line.startsWith('PATH='))).toBe(true);
      expect(env.join('\n')).not.toMatch(/NOT_ALLOWED|postgres:|secret-api-token|DATABASE_URL/);
      daemon.child.kill('SIGTERM');
      expect(await daemon.exited).toBe(0);
    },
  );

  it('rejects bad flags with exit code 2 and the flag named', { timeout: 90_000 }, async () => {
    const bad = provisionerd(['--provisioner', 'none']);
    expect(await bad.exited).toBe(2);
    expect(bad.output()).toContain('--provisioner: provisionerd needs echo or exec');
    const tags = provisionerd(['--tags', 'no-equals-sign']);
    expect(await tags.exited).toBe(2);
    expect(tags.output()).toContain('--tags: "no-equals-sign" must be key=value');
    const listen = provisionerd(['--metrics-listen', 'everywhere']);
    expect(await listen.exited).toBe(2);
    expect(listen.output()).toContain(
      '--metrics-listen (env PREBUILD_CONTROLLER_METRICS_LISTEN): "everywhere" must be host:port',
    );
    const twice = provisionerd([
      '--provisioner',
      'exec',
      '--exec-command',
      'build=./a.sh',
      '--exec-command',
      'build=./b.sh',
    ]);
    expect(await twice.exited).toBe(2);
    expect(twice.output()).toContain(
      '--exec-command (env PREBUILD_CONTROLLER_EXEC_COMMAND): the exec command "build" is given twice',
    );
    const user = provisionerd(['--provisioner', 'exec', '--exec-user', 'no-such-user-here']);
    expect(await user.exited).toBe(2);
    expect(user.output()).toContain(
      '--exec-user (env PREBUILD_CONTROLLER_EXEC_USER): there is no user "no-such-user-here" on this system',
    );
  });

  it(
    'leaves a job to the reaper when the daemon is killed mid-job',
    { timeout: 60_000 },
    async () => {
      const tags = { test: randomUUID().slice(0, 8) };
      const pidFile = join(scratch, `${tags.test}.pid`);
      const daemon = provisionerd([
        '--provisioner',
        'exec',
        '--exec-command',
        fixture('build-hang.sh'),
        ...AS_THIS_USER,
        '--tags',
        `test=${tags.test}`,
        '--job-heartbeat-interval',
        '100ms',
      ]);
      const { job } = await enqueue(
        db.pool,
        await createTarget(db.pool, { tags, provisioner: 'exec' }),
        {
          parameters: { pid_file: pidFile },
        },
      );
      await waitForJob(db.pool, job.id, ['running'], 30_000);
      await vi.waitFor(() => expect(readFileSync(pidFile, 'utf8')).toMatch(/\d+/), {
        timeout: 10_000,
      });
      daemon.child.kill('SIGKILL');
      await daemon.exited;
      // The build runs in its own process group, which outlives a SIGKILLed daemon: end it here.
      const grandchild = Number(readFileSync(pidFile, 'utf8'));
      const stat = readFileSync(`/proc/${grandchild}/stat`, 'utf8');
      process.kill(-Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]), 'SIGKILL');
      expect((await jobState(db.pool, job.id)).job_status).toBe('running');
      const reaper = new JobReaper({
        db: db.pool,
        clock: { now: () => new Date() },
        logger: silentLogger(),
        timeoutMs: 500,
      });
      await vi.waitFor(async () => expect(await reaper.reapOnce()).toContain(job.id), {
        timeout: 10_000,
      });
      expect(await jobState(db.pool, job.id)).toMatchObject({
        job_status: 'failed',
        error_code: 'heartbeat_timeout',
      });
    },
  );
});

describe('prebuild-controller jobs', () => {
  async function cli(args: string[]) {
    let out = '';
    let err = '';
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out += String(chunk);
      return true;
    });
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      err += String(chunk);
      return true;
    });
    try {
      const code = await main([...args, '--database-url', db.url, '--log-level', 'silent']);
      return { code, out, err };
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
  }

  it('shows, prints logs of, and cancels a job', async () => {
    const target = await createTarget(db.pool, { tags: { test: randomUUID().slice(0, 8) } });
    const { job } = await enqueue(db.pool, target);
    await db.pool.query(sql.unsafe`
      INSERT INTO provisioner_job_logs (job_id, level, stage, output) VALUES (${job.id}, 'info', 'echo', 'hello')`);

    const shown = await cli(['jobs', 'show', job.id]);
    expect(shown.code).toBe(0);
    expect(shown.out).toContain(`job ${job.id}\n  status:      pending\n`);
    expect(shown.out).toContain(`#1 start (initiator) of workspace ${target.workspaceId}`);

    const json = await cli(['jobs', 'show', job.id, '--json']);
    expect(JSON.parse(json.out)).toMatchObject({ id: job.id, status: 'pending' });

    const logs = await cli(['jobs', 'logs', job.id]);
    expect(logs.out).toMatch(/^\S+Z \[info\] echo: hello\n$/);
    const jsonLogs = await cli(['jobs', 'logs', job.id, '--json']);
    expect(jsonLogs.out.endsWith('\n')).toBe(true);
    expect(
      jsonLogs.out
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as unknown),
    ).toEqual([expect.objectContaining({ level: 'info', stage: 'echo', output: 'hello' })]);

    const canceled = await cli(['jobs', 'cancel', job.id]);
    expect(canceled).toMatchObject({ code: 0, out: `job ${job.id} canceled\n` });
    // --follow ends by itself once the job is finished.
    expect((await cli(['jobs', 'logs', job.id, '--follow'])).code).toBe(0);

    const again = await cli(['jobs', 'cancel', job.id]);
    expect(again.code).toBe(1);
    expect(again.err).toContain(`job ${job.id} is already canceled; nothing to cancel`);

    const missing = await cli(['jobs', 'show', randomUUID()]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/job .* not found/);

    // Not a UUID is a usage error that says so, not "not found".
    for (const command of ['show', 'logs', 'cancel']) {
      const bad = await cli(['jobs', command, 'not-a-uuid']);
      expect(bad.code).toBe(2);
      expect(bad.err).toBe(
        "prebuild-controller: command-argument value 'not-a-uuid' is invalid for argument 'id'. not a UUID (see --help)\n",
      );
    }
  });
});
