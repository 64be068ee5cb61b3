import { sleep } from '../jobs/sleep.js';
import { parseDuration } from '../util/duration.js';
import type { Provisioner, ProvisionRequest, ProvisionResult } from './types.js';

export interface EchoOptions {
  /** How long a build takes. */
  readonly durationMs: number;
  /** Share of builds that fail, 0..1. */
  readonly failureRate: number;
  /** With the job id, decides which builds fail: the same seed and job always give the same outcome. */
  readonly seed: string;
  /** > 0: agents are recorded "starting" and become "ready" this long after the build completes. */
  readonly agentReadyDelayMs: number;
}

/** A number in [0, 1) from a text (FNV-1a 32-bit), the same on every run and machine. */
export function unitHash(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash / 0x1_0000_0000;
}

/**
 * Why a build is made to fail by its parameters, or null: `echo_fail_transitions=start,delete`
 * fails the listed transitions; otherwise `echo_fail=true` fails start builds (so a failing
 * preset's prebuilds can still be stopped and deleted).
 */
function forcedFailure(parameters: Readonly<Record<string, string>>, transition: string) {
  const listed = parameters.echo_fail_transitions;
  if (listed !== undefined) {
    const transitions = listed.split(',').map((name) => name.trim());
    return transitions.includes(transition) ? `parameter echo_fail_transitions=${listed}` : null;
  }
  return parameters.echo_fail === 'true' && transition === 'start'
    ? 'parameter echo_fail=true'
    : null;
}

/**
 * Simulates builds: waits, logs, and succeeds or fails. Parameters `echo_fail=true` (start builds),
 * `echo_fail_transitions=<list>` and `echo_duration=<duration>` override the settings for one
 * workspace (demos of failing presets, failing deletes).
 */
export class EchoProvisioner implements Provisioner {
  readonly type = 'echo';

  constructor(private readonly options: EchoOptions) {}

  async provision({ jobId, input, signal, log }: ProvisionRequest): Promise<ProvisionResult> {
    const { failureRate, seed, agentReadyDelayMs } = this.options;
    const durationMs =
      parseDuration(input.parameters.echo_duration ?? '') ?? this.options.durationMs;
    const stage = 'echo';
    log({
      level: 'info',
      stage,
      output: `${input.transition} workspace ${input.workspace_name} (build #${input.build_number}, template ${input.template_name} ${input.template_version_name}${input.preset_name ? `, preset ${input.preset_name}` : ''})`,
    });
    try {
      await sleep(durationMs, signal);
    } catch {
      log({ level: 'warn', stage, output: 'stopped before the end' });
      return { ok: false, error: 'echo: stopped before the end', errorCode: 'interrupted' };
    }
    const forced = forcedFailure(input.parameters, input.transition);
    if (forced || unitHash(`${seed}:${jobId}`) < failureRate) {
      const why = forced ?? `failure rate ${failureRate}, seed "${seed}"`;
      log({ level: 'error', stage, output: `simulated failure (${why})` });
      return {
        ok: false,
        error: `echo: simulated failure (${why})`,
        errorCode: 'provisioner_failed',
      };
    }
    log({ level: 'info', stage, output: `${input.transition} done` });
    if (input.transition !== 'start') return { ok: true, agents: [] };
    if (agentReadyDelayMs > 0) {
      return {
        ok: true,
        agents: [{ name: 'main', lifecycle_state: 'starting' }],
        agentsReadyAfterMs: agentReadyDelayMs,
      };
    }
    return { ok: true, agents: [{ name: 'main', lifecycle_state: 'ready' }] };
  }
}
