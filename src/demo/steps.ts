import { randomBytes } from 'node:crypto';

import { ApiClient } from '../cli/backends/http.js';
import { AppError } from '../http/errors.js';
import {
  DEMO_INSTANCES,
  DEMO_PRESET,
  DEMO_TEMPLATE,
  DEMO_TEMPLATE_YAML,
  DEMO_USER,
} from './template.js';

/** One step of the demo as it happens: what, and how long after the start. */
export interface DemoStep {
  readonly step: string;
  readonly message: string;
  readonly elapsed_ms: number;
  readonly [detail: string]: unknown;
}

export interface DemoOptions {
  /** Base URL of the running controller. */
  readonly url: string;
  readonly emit: (step: DemoStep) => void;
  /** performance.now() when the demo started. */
  readonly startedAt: number;
  /** Aborted on SIGTERM/SIGINT: the sequence stops at its next wait. */
  readonly signal: AbortSignal;
  /** How long the whole sequence may take. */
  readonly timeoutMs?: number;
  readonly pollMs?: number;
}

interface PresetRow {
  readonly template: string;
  readonly preset: string;
  readonly ready: number;
  readonly starting: number;
  readonly running: number;
}

interface WorkspaceRow {
  readonly id: string;
  readonly name: string;
  readonly owner: string;
}

export class DemoAborted extends Error {
  override readonly name = 'DemoAborted';
}

/** Sums a counter's samples for the demo template in a Prometheus text exposition. */
export function demoCounter(text: string, name: string): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) || !line.includes(`template_name="${DEMO_TEMPLATE}"`))
      continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) total += value;
  }
  return total;
}

/**
 * The demo against a running controller, over its own HTTP API: push the template, watch the
 * prebuilds become ready, claim one, read /metrics, and see the replacement being created.
 */
export async function runDemoSteps(options: DemoOptions): Promise<void> {
  const { url, signal } = options;
  const pollMs = options.pollMs ?? 200;
  const deadline = performance.now() + (options.timeoutMs ?? 60_000);
  const api = new ApiClient({ url, token: undefined });
  const emit = (step: string, message: string, details: Record<string, unknown> = {}) =>
    options.emit({
      step,
      message,
      elapsed_ms: Math.round(performance.now() - options.startedAt),
      ...details,
    });

  const sleep = () =>
    new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(new DemoAborted('stopped'));
      if (performance.now() > deadline) {
        return reject(new Error('the demo did not finish within its time limit'));
      }
      const timer = setTimeout(done, pollMs);
      function done() {
        signal.removeEventListener('abort', done);
        clearTimeout(timer);
        if (signal.aborted) reject(new DemoAborted('stopped'));
        else resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  const waitFor = async <T>(what: string, probe: () => Promise<T | undefined>): Promise<T> => {
    for (;;) {
      const found = await probe();
      if (found !== undefined) return found;
      try {
        await sleep();
      } catch (error) {
        if (error instanceof DemoAborted) throw error;
        throw new Error(`timed out waiting for ${what}`, { cause: error });
      }
    }
  };

  // The user who claims; a second demo on the same database reuses it.
  try {
    await api.send('POST', '/users', { username: DEMO_USER });
  } catch (error) {
    if (!(error instanceof AppError && error.status === 409)) throw error;
  }

  await api.call('POST', '/templates', {
    text: { body: DEMO_TEMPLATE_YAML, contentType: 'application/yaml' },
  });
  emit(
    'template_pushed',
    `template pushed: ${DEMO_TEMPLATE} (preset ${DEMO_PRESET}, ${DEMO_INSTANCES} prebuilds)`,
    {
      template: DEMO_TEMPLATE,
      preset: DEMO_PRESET,
      instances: DEMO_INSTANCES,
    },
  );

  const preset = async (): Promise<PresetRow | undefined> => {
    const { presets } = await api.get<{ presets: PresetRow[] }>('/presets');
    return presets.find((p) => p.template === DEMO_TEMPLATE && p.preset === DEMO_PRESET);
  };
  let shown = 0;
  await waitFor('the prebuilds to become ready', async () => {
    const row = await preset();
    const ready = Math.min(row?.ready ?? 0, DEMO_INSTANCES);
    for (let n = shown + 1; n <= ready; n += 1) {
      emit('prebuild_ready', `prebuild ready (${n}/${DEMO_INSTANCES})`, {
        ready: n,
        desired: DEMO_INSTANCES,
      });
    }
    shown = Math.max(shown, ready);
    return ready >= DEMO_INSTANCES ? true : undefined;
  });

  const prebuilds = async () =>
    (
      await api.get<{ workspaces: WorkspaceRow[] }>('/workspaces', { template: DEMO_TEMPLATE })
    ).workspaces.filter((w) => w.owner !== DEMO_USER);
  const before = new Map((await prebuilds()).map((w) => [w.id, w.name]));
  const readCounters = async () => {
    const response = await fetch(`${url}/metrics`);
    if (!response.ok) throw new Error(`GET /metrics answered ${response.status}`);
    const text = await response.text();
    return {
      created_total: demoCounter(text, 'coderd_prebuilt_workspaces_created_total'),
      claimed_total: demoCounter(text, 'coderd_prebuilt_workspaces_claimed_total'),
    };
  };
  const baseline = await readCounters();

  const claimStart = performance.now();
  const created = await api.send<{
    workspace: WorkspaceRow;
    claimed: boolean;
  }>('POST', '/workspaces', {
    owner: DEMO_USER,
    template: DEMO_TEMPLATE,
    preset: DEMO_PRESET,
    name: `demo-${randomBytes(3).toString('hex')}`,
  });
  const latency = Math.round(performance.now() - claimStart);
  if (!created.claimed) {
    throw new Error(`no prebuild was claimed: ${created.workspace.name} is a new build`);
  }
  const prebuild = before.get(created.workspace.id) ?? created.workspace.name;
  emit(
    'prebuild_claimed',
    `prebuild claimed: ${prebuild} is now ${created.workspace.name} of ${DEMO_USER} (claim took ${latency} ms)`,
    {
      prebuild,
      workspace: created.workspace.name,
      owner: DEMO_USER,
      claim_latency_ms: latency,
    },
  );

  const counters = await waitFor('the claim on /metrics', async () => {
    const now = await readCounters();
    return now.claimed_total > baseline.claimed_total ? now : undefined;
  });
  emit(
    'metrics',
    `metrics: coderd_prebuilt_workspaces_claimed_total ${baseline.claimed_total} -> ${counters.claimed_total}, coderd_prebuilt_workspaces_created_total ${counters.created_total}`,
    {
      coderd_prebuilt_workspaces_claimed_total: counters.claimed_total,
      coderd_prebuilt_workspaces_created_total: counters.created_total,
      claimed_total_before: baseline.claimed_total,
    },
  );

  const replacement = await waitFor('the replacement prebuild', async () =>
    (await prebuilds()).find((w) => !before.has(w.id) && w.id !== created.workspace.id),
  );
  emit('replacement_created', `replacement prebuild created: ${replacement.name}`, {
    workspace: replacement.name,
  });
}
