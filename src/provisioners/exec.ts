import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

import { JOB_ERROR_CODES } from '../jobs/model.js';
import { formatDuration, parseDuration } from '../util/duration.js';
import { parseAgentLine } from './agents.js';
import {
  DEFAULT_COMMAND_NAME,
  type ExecCommandPolicy,
  resolveExecCommand,
} from './exec-command.js';
import { execEnvironment } from './exec-env.js';
import type { ExecUser } from './exec-user.js';
import {
  type AgentDeclaration,
  DEFAULT_AGENTS,
  type Provisioner,
  type ProvisionRequest,
  type ProvisionResult,
} from './types.js';

export interface ExecOptions {
  /**
   * The daemon's named commands; templates pick one by name in `exec.command`, and those that
   * name none run `default`.
   */
  readonly commands?: Readonly<Record<string, string>>;
  /** Shorthand for the command named `default` (a `commands.default` wins). */
  readonly command?: string | undefined;
  /** Run a template's literal command when an admin token pushed it (`--exec-allow-template-commands`). */
  readonly allowTemplateCommands?: boolean;
  /** Default timeout; a template's exec.timeout wins. */
  readonly timeoutMs: number;
  /** After SIGTERM to the process group, how long before SIGKILL. */
  readonly killGraceMs?: number;
  /** After the command exits, how long to wait for its output pipes to close (background children). */
  readonly drainMs?: number;
  /** Environment the allow-list picks from (default: this process's). */
  readonly baseEnv?: NodeJS.ProcessEnv;
  /** More variables to inherit beyond the allow-list (`--exec-env`: names or `PREFIX*`). */
  readonly envAllow?: readonly string[];
  /** Run commands as this user (uid and gid; needs root). Unset: the daemon's own user. */
  readonly user?: ExecUser | undefined;
}

type Fail = Extract<ProvisionResult, { ok: false }>;
const fail = (errorCode: string, error: string): Fail => ({ ok: false, error, errorCode });

function timeoutOf(raw: number | string | null | undefined, fallback: number): number | string {
  if (raw === null || raw === undefined) return fallback;
  if (typeof raw === 'number') return raw;
  return parseDuration(raw) ?? `exec.timeout: "${raw}" is not a duration (examples: 90s, 10m)`;
}

/** Signals the whole process group of a detached child (the command and everything it started). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * Runs one of the operator's named commands per build (`/bin/sh -c <command>` in its own process
 * group, as `user` when set, with an allow-listed environment): the
 * job as JSON on stdin, the build in environment variables, each output line a job log line,
 * exit code 0 = success. One stdout line `{"agents":[...]}` declares the agents. A timeout or a
 * cancel kills the whole process group (SIGTERM, then SIGKILL after a grace period).
 */
export class ExecProvisioner implements Provisioner {
  readonly type = 'exec';

  readonly #policy: ExecCommandPolicy;

  constructor(private readonly options: ExecOptions) {
    const commands = { ...options.commands };
    if (options.command !== undefined) commands[DEFAULT_COMMAND_NAME] ??= options.command;
    this.#policy = { commands, allowTemplateCommands: options.allowTemplateCommands ?? false };
  }

  async provision(request: ProvisionRequest): Promise<ProvisionResult> {
    const { input, log, signal } = request;
    const resolved = resolveExecCommand(input.exec, this.#policy);
    if (!resolved.ok) return fail(resolved.errorCode, resolved.error);
    const { command, label } = resolved;
    const timeoutMs = timeoutOf(input.exec?.timeout, this.options.timeoutMs);
    if (typeof timeoutMs === 'string') return fail(JOB_ERROR_CODES.invalidInput, timeoutMs);

    const stage = 'exec';
    const { user } = this.options;
    log({
      level: 'info',
      stage,
      output: `running ${label}${user ? ` as ${user.name}` : ''} (timeout ${formatDuration(timeoutMs)})`,
    });
    let child: ChildProcess;
    try {
      child = spawn('/bin/sh', ['-c', command], {
        detached: true,
        stdio: ['pipe', 'pipe', 'pipe'],
        env: execEnvironment(request, this.options.baseEnv ?? process.env, {
          ...(this.options.envAllow ? { allow: this.options.envAllow } : {}),
          user,
        }),
        ...(user ? { uid: user.uid, gid: user.gid } : {}),
      });
    } catch (error) {
      return fail(
        JOB_ERROR_CODES.provisionerFailed,
        `exec: could not start: ${(error as Error).message}`,
      );
    }

    let agents: readonly AgentDeclaration[] | undefined;
    let agentError: string | undefined;
    let lastStderr = '';
    const stdout = createInterface({ input: child.stdout!, crlfDelay: Infinity });
    stdout.on('line', (line) => {
      const parsed = parseAgentLine(line);
      if (parsed.kind === 'agents') agents = parsed.agents;
      if (parsed.kind === 'invalid') agentError ??= parsed.error;
      log({ level: parsed.kind === 'invalid' ? 'error' : 'info', stage: 'stdout', output: line });
    });
    const stderr = createInterface({ input: child.stderr!, crlfDelay: Infinity });
    stderr.on('line', (line) => {
      if (line.trim() !== '') lastStderr = line;
      log({ level: 'warn', stage: 'stderr', output: line });
    });
    const streamsClosed = Promise.all([
      new Promise((resolve) => stdout.once('close', resolve)),
      new Promise((resolve) => stderr.once('close', resolve)),
    ]);

    // The command may ignore stdin; a closed pipe is not an error.
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(JSON.stringify({ job_id: request.jobId, ...input }) + '\n');

    let stopReason: 'timeout' | 'aborted' | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const stop = (reason: 'timeout' | 'aborted') => {
      if (stopReason) return;
      stopReason = reason;
      killGroup(child, 'SIGTERM');
      killTimer = setTimeout(() => killGroup(child, 'SIGKILL'), this.options.killGraceMs ?? 5_000);
    };
    const timer = setTimeout(() => stop('timeout'), timeoutMs);
    const onAbort = () => stop('aborted');
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) stop('aborted');

    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null } | Error>(
      (resolve) => {
        child.once('error', (error) => resolve(error));
        child.once('exit', (code, exitSignal) => resolve({ code, signal: exitSignal }));
      },
    );
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
    if (stopReason) {
      // Whatever is left of the group goes too, so nothing it started outlives a timeout.
      killGroup(child, 'SIGKILL');
      clearTimeout(killTimer);
    }
    // A background process that kept our pipes open must not hold the build forever.
    const drained = await Promise.race([
      streamsClosed.then(() => true),
      new Promise<boolean>((resolve) =>
        setTimeout(() => resolve(false), this.options.drainMs ?? 2_000),
      ),
    ]);
    if (!drained) {
      child.stdout?.destroy();
      child.stderr?.destroy();
      log({
        level: 'warn',
        stage,
        output:
          'exec: the command exited but something it started still holds its output; redirect background processes (>file 2>&1)',
      });
    }

    if (exit instanceof Error) {
      return fail(
        JOB_ERROR_CODES.provisionerFailed,
        `exec: could not run ${label}: ${exit.message}`,
      );
    }
    if (stopReason === 'timeout') {
      return fail(
        JOB_ERROR_CODES.timeout,
        `exec: command timed out after ${formatDuration(timeoutMs)}; its process group was killed`,
      );
    }
    if (stopReason === 'aborted') return fail(JOB_ERROR_CODES.interrupted, 'exec: command stopped');
    if (exit.code !== 0) {
      const how =
        exit.code === null ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
      return fail(
        JOB_ERROR_CODES.provisionerFailed,
        `exec: command ${how}${lastStderr ? `: ${lastStderr.slice(0, 500)}` : ''}`,
      );
    }
    if (agentError) return fail(JOB_ERROR_CODES.invalidAgents, `exec: ${agentError}`);
    if (input.transition !== 'start') return { ok: true, agents: [] };
    return { ok: true, agents: agents ?? DEFAULT_AGENTS };
  }
}
