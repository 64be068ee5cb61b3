import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { sql } from 'slonik';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';

import type { BuildJobInput } from '../../src/jobs/model.js';
import { parseAgentLine } from '../../src/provisioners/agents.js';
import { ExecProvisioner } from '../../src/provisioners/exec.js';
import type { ProvisionLogLine } from '../../src/provisioners/types.js';
import { useTestDatabase } from '../helpers/db.js';
import { createTarget, enqueue, startTestDaemon, type TestDaemon, waitForJob } from './helpers.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'exec-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function input(over: Partial<BuildJobInput> = {}): BuildJobInput {
  return {
    workspace_build_id: randomUUID(),
    workspace_id: randomUUID(),
    workspace_name: 'dev-1',
    owner_id: randomUUID(),
    owner_name: 'alice',
    transition: 'start',
    build_number: 3,
    reason: 'initiator',
    is_prebuild: false,
    template_id: randomUUID(),
    template_name: 'dev-env',
    template_version_id: randomUUID(),
    template_version_name: 'v7',
    preset_id: null,
    preset_name: 'large',
    parameters: { cpus: '8', 'disk-size': '100' },
    exec: null,
    ...over,
  };
}

async function run(
  provisioner: ExecProvisioner,
  buildInput: BuildJobInput,
  signal = new AbortController().signal,
) {
  const lines: ProvisionLogLine[] = [];
  const result = await provisioner.provision({
    jobId: randomUUID(),
    input: buildInput,
    signal,
    log: (line) => lines.push(line),
  });
  return { result, lines, outputs: lines.map((l) => l.output) };
}

/** Running (a zombie awaiting its reaper counts as gone: it no longer runs). */
const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
};

describe('exec provisioner', () => {
  const secretEnv = {
    ...process.env,
    DATABASE_URL: 'postgres://secret',
    PREBUILD_CONTROLLER_API_TOKEN: 'secret',
  };

  it('runs the command with the build in its environment and on stdin, captures lines and agents', async () => {
    const exec = new ExecProvisioner({
      command: fixture('build-ok.sh'),
      timeoutMs: 10_000,
      baseEnv: secretEnv,
    });
    const { result, lines, outputs } = await run(exec, input());
    expect(result).toEqual({
      ok: true,
      agents: [
        { name: 'main', lifecycle_state: 'ready' },
        { name: 'sidecar', lifecycle_state: 'starting' },
      ],
    });
    expect(outputs).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^workspace=dev-1 id=[0-9a-f-]{36} transition=start build=3$/),
        'template=dev-env version=v7 preset=large owner=alice',
        'param_cpus=8 param_disk_size=100',
        'database_url=unset',
        'stdin_transition=start',
        'done',
      ]),
    );
    expect(lines).toContainEqual({ level: 'warn', stage: 'stderr', output: 'progress on stderr' });
  });

  it('runs the command the template names, and declares no agents for a stop', async () => {
    const exec = new ExecProvisioner({
      commands: { default: 'exit 9', build: fixture('build-ok.sh') },
      timeoutMs: 10_000,
    });
    const { result, lines } = await run(
      exec,
      input({ transition: 'stop', exec: { command: 'build' } }),
    );
    expect(result).toEqual({ ok: true, agents: [] });
    // The log names the command; its text stays with the operator.
    expect(lines[0]).toMatchObject({
      stage: 'exec',
      output: expect.stringMatching(/^running exec command "build"/),
    });
    expect(lines.map((l) => l.output).join('\n')).not.toContain('build-ok.sh');
  });

  it('defaults to one ready agent "main"', async () => {
    const exec = new ExecProvisioner({ command: 'echo hello', timeoutMs: 10_000 });
    expect((await run(exec, input())).result).toEqual({
      ok: true,
      agents: [{ name: 'main', lifecycle_state: 'ready' }],
    });
  });

  it('fails on a non-zero exit with the last stderr line', async () => {
    const exec = new ExecProvisioner({ command: fixture('build-fail.sh'), timeoutMs: 10_000 });
    expect((await run(exec, input())).result).toEqual({
      ok: false,
      errorCode: 'provisioner_failed',
      error: 'exec: command exited with code 3: terraform: quota exceeded',
    });
  });

  it('kills the whole process group on timeout, grandchildren included', async () => {
    const pidFile = join(scratch, `${randomUUID()}.pid`);
    const exec = new ExecProvisioner({
      command: fixture('build-hang.sh'),
      timeoutMs: 500,
      killGraceMs: 1_000,
    });
    const { result, outputs } = await run(exec, input({ parameters: { pid_file: pidFile } }));
    expect(result).toEqual({
      ok: false,
      errorCode: 'timeout',
      error: 'exec: command timed out after 500ms; its process group was killed',
    });
    expect(outputs).toContainEqual(expect.stringMatching(/^started grandchild \d+$/));
    const grandchild = Number(readFileSync(pidFile, 'utf8').trim());
    await vi.waitFor(() => expect(alive(grandchild)).toBe(false), { timeout: 5_000 });
  });

  it('kills the process group when the job is stopped', async () => {
    const pidFile = join(scratch, `${randomUUID()}.pid`);
    const exec = new ExecProvisioner({ command: fixture('build-hang.sh'), timeoutMs: 60_000 });
    const controller = new AbortController();
    const running = run(exec, input({ parameters: { pid_file: pidFile } }), controller.signal);
    await vi.waitFor(() =>
      expect(existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '').toBe(true),
    );
    const grandchild = Number(readFileSync(pidFile, 'utf8').trim());
    expect(alive(grandchild)).toBe(true);
    controller.abort();
    expect((await running).result).toMatchObject({ ok: false, errorCode: 'interrupted' });
    await vi.waitFor(
      () => expect(alive(Number(readFileSync(pidFile, 'utf8').trim()))).toBe(false),
      {
        timeout: 5_000,
      },
    );
  });

  it.each([
    [
      'malformed agent JSON',
      'build-bad-agents.sh',
      /^exec: agent declaration is not valid JSON \(.+\): \{"agents"/,
    ],
    [
      'an invalid agent',
      'build-invalid-agent.sh',
      /^exec: invalid agent declaration: agents\.0\.name: must be 1-64 letters.*; agents\.0\.lifecycle_state: Invalid enum value/,
    ],
  ])('fails clearly on %s', async (_name, script, message) => {
    const exec = new ExecProvisioner({ command: fixture(script), timeoutMs: 10_000 });
    const { result } = await run(exec, input());
    expect(result).toMatchObject({ ok: false, errorCode: 'invalid_agents' });
    expect((result as { error: string }).error).toMatch(message);
  });

  it('fails clearly without a command, and on a bad template timeout', async () => {
    const none = new ExecProvisioner({ commands: { build: 'true' }, timeoutMs: 10_000 });
    expect((await run(none, input())).result).toEqual({
      ok: false,
      errorCode: 'missing_command',
      error:
        'exec: the template names no command (exec.command) and this daemon has no command named "default" (it has: build); define one with --exec-command default=COMMAND',
    });
    const exec = new ExecProvisioner({ command: 'true', timeoutMs: 10_000 });
    expect(
      (await run(exec, input({ exec: { command: 'default', timeout: 'soon' } }))).result,
    ).toEqual({
      ok: false,
      errorCode: 'invalid_input',
      error: 'exec.timeout: "soon" is not a duration (examples: 90s, 10m)',
    });
  });

  it('reports a command that does not exist', async () => {
    const exec = new ExecProvisioner({ command: '/nonexistent/build.sh', timeoutMs: 10_000 });
    const { result } = await run(exec, input());
    expect(result).toMatchObject({ ok: false, errorCode: 'provisioner_failed' });
    expect((result as { error: string }).error).toMatch(/^exec: command exited with code 127/);
  });
});

describe('parseAgentLine', () => {
  it.each([
    ['plain output', { kind: 'none' }],
    ['{"level":"info","msg":"json log"}', { kind: 'none' }],
    ['{"agents":[]}', { kind: 'agents', agents: [] }],
    [
      '  {"agents":[{"name":"main"}]}  ',
      { kind: 'agents', agents: [{ name: 'main', lifecycle_state: 'ready' }] },
    ],
  ])('%s', (line, expected) => {
    expect(parseAgentLine(line)).toEqual(expected);
  });

  it.each([
    '{"agents":[{"name":"a"},{"name":"a"}]}',
    '{"agents":"main"}',
    '{"agents":[{"name":"main","extra":1}]}',
    '{"agents":[], "more": true}',
  ])('rejects %s', (line) => {
    expect(parseAgentLine(line).kind).toBe('invalid');
  });
});

describe('exec builds through a daemon', () => {
  const db = useTestDatabase();
  const daemons: TestDaemon[] = [];
  afterEach(async () => {
    while (daemons.length > 0) await daemons.pop()?.stop();
  });

  async function execDaemon(tags: Record<string, string>, commands: Record<string, string>) {
    const exec = new ExecProvisioner({ commands, timeoutMs: 10_000 });
    const started = await startTestDaemon({
      db: db.pool,
      url: db.url,
      tags,
      provisioners: ['exec'],
      provisionerFor: (type) => (type === 'exec' ? exec : undefined),
    });
    daemons.push(started);
  }

  it('runs a literal template command pushed by an admin on a daemon that allows it', async () => {
    const tags = { test: randomUUID().slice(0, 8) };
    const exec = new ExecProvisioner({
      commands: {},
      allowTemplateCommands: true,
      timeoutMs: 10_000,
    });
    daemons.push(
      await startTestDaemon({
        db: db.pool,
        url: db.url,
        tags,
        provisioners: ['exec'],
        provisionerFor: () => exec,
      }),
    );
    const config = (pushedByAdmin: boolean) => ({
      exec: {
        command: 'echo "literal $TRANSITION"',
        ...(pushedByAdmin && { pushed_by_admin: true }),
      },
    });
    const ran = await enqueue(
      db.pool,
      await createTarget(db.pool, { tags, provisioner: 'exec', config: config(true) }),
    );
    expect(await waitForJob(db.pool, ran.job.id)).toMatchObject({ job_status: 'succeeded' });
    const Output = z.object({ output: z.string() });
    const outputs = await db.pool.manyFirst(sql.type(Output)`
      SELECT output FROM provisioner_job_logs WHERE job_id = ${ran.job.id} ORDER BY id`);
    expect(outputs).toContainEqual('literal start');
    expect(outputs).toContainEqual(expect.stringMatching(/^running the template's exec.command/));
    expect(outputs.join('\n')).not.toContain('echo "literal');
    // Not recorded as pushed by an admin (say, a version from before the rule): refused.
    const refused = await enqueue(
      db.pool,
      await createTarget(db.pool, { tags, provisioner: 'exec', config: config(false) }),
    );
    expect(await waitForJob(db.pool, refused.job.id)).toMatchObject({
      job_status: 'failed',
      error_code: 'command_refused',
      error:
        "exec: the template's literal exec.command was not pushed with an admin token; push the template again with one",
    });
  });

  it('records the declared agents and the output as job logs', async () => {
    const tags = { test: randomUUID().slice(0, 8) };
    const target = await createTarget(db.pool, {
      tags,
      provisioner: 'exec',
      config: { exec: { command: 'build', timeout: '30s' } },
    });
    await execDaemon(tags, { build: fixture('build-ok.sh') });
    const { build, job } = await enqueue(db.pool, target, { parameters: { cpus: '2' } });
    expect(await waitForJob(db.pool, job.id)).toMatchObject({ job_status: 'succeeded' });
    const Agent = z.object({ name: z.string(), lifecycle_state: z.string() });
    expect(
      await db.pool.any(sql.type(Agent)`
        SELECT name, lifecycle_state::text FROM workspace_agents WHERE workspace_build_id = ${build.id} ORDER BY name`),
    ).toEqual([
      { name: 'main', lifecycle_state: 'ready' },
      { name: 'sidecar', lifecycle_state: 'starting' },
    ]);
    const Line = z.object({ level: z.string(), stage: z.string(), output: z.string() });
    const lines = await db.pool.any(sql.type(Line)`
      SELECT level::text, stage, output FROM provisioner_job_logs WHERE job_id = ${job.id} ORDER BY id`);
    expect(lines).toContainEqual({
      level: 'info',
      stage: 'stdout',
      output: 'param_cpus=2 param_disk_size=',
    });
    expect(lines).toContainEqual({ level: 'warn', stage: 'stderr', output: 'progress on stderr' });
    expect(lines).toContainEqual({
      level: 'info',
      stage: 'exec',
      output: expect.stringMatching(/^running exec command "build"/),
    });
    expect(lines.map((line) => line.output).join('\n')).not.toContain('build-ok.sh');
  });

  it('fails the job, not the daemon, on a missing, unknown, literal or invalid command or malformed agents', async () => {
    const tags = { test: randomUUID().slice(0, 8) };
    await execDaemon(tags, { 'bad-agents': fixture('build-bad-agents.sh'), fine: 'echo fine' });
    const missing = await enqueue(
      db.pool,
      await createTarget(db.pool, { tags, provisioner: 'exec' }),
    );
    expect(await waitForJob(db.pool, missing.job.id)).toMatchObject({
      job_status: 'failed',
      error_code: 'missing_command',
    });
    const bad = await enqueue(
      db.pool,
      await createTarget(db.pool, {
        tags,
        provisioner: 'exec',
        config: { exec: { command: 'bad-agents' } },
      }),
    );
    expect(await waitForJob(db.pool, bad.job.id)).toMatchObject({
      job_status: 'failed',
      error_code: 'invalid_agents',
    });
    const invalid = await enqueue(
      db.pool,
      await createTarget(db.pool, { tags, provisioner: 'exec', config: { exec: { command: '' } } }),
    );
    expect(await waitForJob(db.pool, invalid.job.id)).toMatchObject({
      job_status: 'failed',
      error_code: 'invalid_input',
      error: 'job input is not a workspace build: exec.command: must not be empty',
    });
    const good = await enqueue(
      db.pool,
      await createTarget(db.pool, {
        tags,
        provisioner: 'exec',
        config: { exec: { command: 'fine' } },
      }),
    );
    expect(await waitForJob(db.pool, good.job.id)).toMatchObject({ job_status: 'succeeded' });
    const unknown = await enqueue(
      db.pool,
      await createTarget(db.pool, {
        tags,
        provisioner: 'exec',
        config: { exec: { command: 'deploy' } },
      }),
    );
    expect(await waitForJob(db.pool, unknown.job.id)).toMatchObject({
      job_status: 'failed',
      error_code: 'unknown_command',
      error:
        'exec: this daemon has no exec command named "deploy" (it has: bad-agents, fine); define it with --exec-command deploy=COMMAND',
    });
    // Even "pushed by an admin": this daemon does not run commands from templates.
    const literal = await enqueue(
      db.pool,
      await createTarget(db.pool, {
        tags,
        provisioner: 'exec',
        config: { exec: { command: 'echo pwned', pushed_by_admin: true } },
      }),
    );
    expect(await waitForJob(db.pool, literal.job.id)).toMatchObject({
      job_status: 'failed',
      error_code: 'command_refused',
    });
  });
});
