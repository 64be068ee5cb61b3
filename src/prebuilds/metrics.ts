import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

import type { TargetSource } from '../domain/autoscaling/types.js';
import { NewSeriesHold } from '../metrics/new-series.js';
import { releaseHeldObservations } from '../metrics/zero.js';
import type { PresetPlan } from '../domain/prebuilds/plan.js';
import type { PrebuildCounters } from './counters.js';
import type { StateView } from './state-view.js';

const LABELS = ['template_name', 'preset_name', 'organization_name'] as const;
type Label = (typeof LABELS)[number];
type Labels = Record<Label, string>;

/** Coder's claim buckets (1 s .. 5 min) with sub-second ones in front: ours claim in milliseconds. */
export const CLAIM_BUCKETS = [
  0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 10, 20, 30, 60, 120, 180, 240, 300,
];

const TARGET_SOURCES: readonly TargetSource[] = [
  'scheduled',
  'expression',
  'expression_fallback',
  'forecast',
  'forecast_fallback',
];

export type StateSource = () => Promise<StateView>;
/** The same array until the counters are loaded again (see NewSeriesHold). */
export type CountersSource = () => Promise<readonly PrebuildCounters[]>;
/** Every preset of an active template version, with or without prebuilds. */
export type PresetNamesSource = () => Promise<readonly Labels[]>;

/** The prebuild metrics of one controller registry (Coder's names, help texts and labels). */
export interface PrebuildMetrics {
  /** Observed through observeSeries (src/metrics/zero.ts): its series are created at 0. */
  readonly claimDuration: Histogram<Label>;
  readonly claimMisses: Counter<Label>;
  /** Coder's: regular (not claimed) workspaces created from a preset. */
  readonly creations: Counter<Label>;
  readonly reconcileDuration: Histogram;
  readonly passes: Counter<'outcome'>;
  readonly actions: Counter<'type'>;
  readonly errors: Counter<'kind'>;
  setStateSource(source: StateSource): void;
  setCountersSource(source: CountersSource): void;
  setPresetNamesSource(source: PresetNamesSource): void;
}

export function presetLabels(preset: PresetPlan['preset']): Labels {
  return {
    template_name: preset.templateName,
    preset_name: preset.name,
    organization_name: preset.organizationName,
  };
}

/**
 * The presets the per-preset gauges report: those of active versions of live templates (as
 * Coder), so label sets never collide: a preset of an older version has the same names.
 */
function reported(view: StateView): PresetPlan[] {
  return view.plans.filter(
    (plan) => plan.preset.usingActiveVersion && !plan.preset.templateDeleted,
  );
}

const byRegistry = new WeakMap<Registry, PrebuildMetrics>();

/** The prebuild metrics of a registry, created on first use so every part shares them. */
export function prebuildMetricsFor(registry: Registry): PrebuildMetrics {
  const existing = byRegistry.get(registry);
  if (existing) return existing;
  const registers = [registry];
  let stateSource: StateSource | undefined;
  let countersSource: CountersSource | undefined;
  let presetNamesSource: PresetNamesSource | undefined;

  // Each gauge reads the shared view (one load per scrape, see StateViewCache). A failed load
  // keeps the last values: a scrape during a database outage must not fail /metrics.
  const view = async (): Promise<StateView | undefined> => {
    try {
      return stateSource ? await stateSource() : undefined;
    } catch {
      return undefined;
    }
  };
  const reportedLabels = async (): Promise<Labels[]> => {
    const current = await view();
    return current ? reported(current).map((plan) => presetLabels(plan.preset)) : [];
  };
  /** Creates a counter's series at 0 for every preset the view reports (first event = increase). */
  const zeroPerPreset = async (counter: Counter<Label>): Promise<void> => {
    for (const labels of await reportedLabels()) counter.inc(labels, 0);
  };
  /**
   * Creates the creation counter's series at 0 for every preset of an active version, those
   * without prebuilds included (the view has only presets with prebuilds).
   */
  const zeroEveryPreset = async (counter: Counter<Label>): Promise<void> => {
    await zeroPerPreset(counter);
    let names: readonly Labels[] = [];
    try {
      names = presetNamesSource ? await presetNamesSource() : [];
    } catch {
      // A scrape during a database outage must not fail /metrics.
    }
    for (const labels of names) counter.inc(labels, 0);
  };
  const perPreset = (name: string, help: string, value: (plan: PresetPlan) => number) =>
    new Gauge({
      name,
      help,
      labelNames: LABELS,
      registers,
      async collect() {
        const current = await view();
        if (!current) return;
        this.reset();
        for (const plan of reported(current)) this.set(presetLabels(plan.preset), value(plan));
      },
    });

  perPreset(
    'coderd_prebuilt_workspaces_desired',
    'Target number of prebuilt workspaces that should be available for each template preset.',
    (plan) => plan.state.desired,
  );
  perPreset(
    'coderd_prebuilt_workspaces_running',
    'Current number of prebuilt workspaces that are in a running state. These workspaces have started successfully but may not yet be claimable by users (see coderd_prebuilt_workspaces_eligible).',
    (plan) => plan.state.running,
  );
  perPreset(
    'coderd_prebuilt_workspaces_eligible',
    "Current number of prebuilt workspaces that are eligible to be claimed by users. These are workspaces that have completed their build process with their agent reporting 'ready' status.",
    (plan) => plan.state.eligible,
  );
  perPreset(
    'coderd_prebuilt_workspaces_preset_hard_limited',
    'Indicates whether a given preset has reached the hard failure limit (1 = hard-limited, 0 = not).',
    (plan) => Number(plan.state.status === 'hard_limited'),
  );
  perPreset(
    'coderd_prebuilt_workspaces_preset_backoff',
    'Indicates whether prebuild creation of a given preset is backing off after failed builds (1 = backing off, 0 = not).',
    (plan) => Number(plan.state.backoffUntil !== null),
  );
  // Failed deletes are mostly prebuilds of presets no longer reported (old versions, deleted
  // templates): these count every preset's, added up under its names, 0 for reported presets.
  const failedDeletes = (name: string, help: string, given: boolean) =>
    new Gauge({
      name,
      help,
      labelNames: LABELS,
      registers,
      async collect() {
        const current = await view();
        if (!current) return;
        this.reset();
        for (const plan of reported(current)) this.set(presetLabels(plan.preset), 0);
        for (const plan of current.plans) {
          const count = plan.state.failedDeletes.filter(
            (failed) => (failed.retryAt === null) === given,
          ).length;
          if (count > 0) this.inc(presetLabels(plan.preset), count);
        }
      },
    });
  failedDeletes(
    'coderd_prebuilt_workspaces_delete_backing_off',
    'Number of prebuilt workspaces whose delete failed and is retried after a backoff, by the names of their preset (any version).',
    false,
  );
  failedDeletes(
    'coderd_prebuilt_workspaces_delete_given_up',
    'Number of prebuilt workspaces whose delete failed PREBUILD_CONTROLLER_PREBUILD_DELETE_RETRY_LIMIT times in a row and is no longer retried, by the names of their preset (any version).',
    true,
  );
  perPreset(
    'coderd_prebuilt_workspaces_schedule_invalid',
    "Indicates whether a given preset's stored prebuild schedule is invalid, so its default instance count applies (1 = invalid, 0 = valid).",
    (plan) => Number((plan.state.schedule?.error ?? null) !== null),
  );

  // Autoscaling (docs/autoscaling.md): every reported preset has each series, 0 when unused.
  perPreset(
    'coderd_prebuilt_workspaces_scheduled_target',
    "Pool size from the preset's instances and schedules, before any autoscaling policy (equals desired without a policy).",
    (plan) => plan.state.target.scheduledTarget,
  );
  perPreset(
    'coderd_prebuilt_workspaces_autoscaling_fallback',
    "Indicates whether a preset's autoscaling policy failed this pass, so its scheduled target applies (1 = fallback, 0 = not); status and plan show why.",
    (plan) => Number(plan.state.target.error !== null),
  );
  perPreset(
    'coderd_prebuilt_workspaces_forecast_claim_rate',
    'Claim attempts per minute a forecast policy sizes the pool for (lambda); 0 without a forecast.',
    (plan) => plan.state.target.forecast?.lambdaPerMinute ?? 0,
  );
  perPreset(
    'coderd_prebuilt_workspaces_forecast_lead_time_seconds',
    "A forecast policy's lead time L (creation job start to eligible: configured, measured or the default); 0 without a forecast.",
    (plan) => (plan.state.target.forecast?.leadTimeMs ?? 0) / 1000,
  );
  perPreset(
    'coderd_prebuilt_workspaces_forecast_expected_hit_rate',
    'Share of claim attempts expected to find an eligible prebuild with the desired pool: 1 - ErlangB(desired, lambda * L); 0 without a forecast.',
    (plan) => plan.state.target.forecast?.expectedHitRate ?? 0,
  );
  new Gauge({
    name: 'coderd_prebuilt_workspaces_target_source',
    help: 'What decided the desired count of each preset: 1 for the current source (scheduled, expression, expression_fallback, forecast, forecast_fallback), 0 for the others.',
    labelNames: [...LABELS, 'source'],
    registers,
    async collect() {
      const current = await view();
      if (!current) return;
      this.reset();
      for (const plan of reported(current)) {
        for (const source of TARGET_SOURCES) {
          this.set(
            { ...presetLabels(plan.preset), source },
            Number(plan.state.target.source === source),
          );
        }
      }
    },
  });

  new Gauge({
    name: 'coderd_prebuilt_workspaces_reconciliation_paused',
    help: 'Indicates whether prebuilds reconciliation is currently paused (1 = paused, 0 = not paused).',
    registers,
    async collect() {
      const current = await view();
      if (current) this.set(Number(current.paused));
    },
  });
  new Gauge({
    name: 'coderd_prebuilt_workspaces_metrics_last_updated',
    help: 'The unix timestamp when the metrics related to prebuilt workspaces were last updated; these metrics are cached.',
    registers,
    async collect() {
      const current = await view();
      if (current) this.set(Math.floor(current.at.getTime() / 1000));
    },
  });

  // The lifetime counters are totals from the database, reloaded on an interval: a preset whose
  // first row comes in a later load is rendered at 0 until the next load (NewSeriesHold).
  const hold = new NewSeriesHold();
  const key = (labels: Labels) =>
    JSON.stringify([labels.template_name, labels.preset_name, labels.organization_name]);
  const rowLabels = (row: PrebuildCounters): Labels => ({
    template_name: row.templateName,
    preset_name: row.presetName,
    organization_name: row.organizationName,
  });
  const lifetime = (name: string, help: string, value: (row: PrebuildCounters) => number) =>
    new Counter({
      name,
      help,
      labelNames: LABELS,
      registers,
      async collect() {
        if (!countersSource) return;
        let rows: readonly PrebuildCounters[];
        try {
          rows = await countersSource();
        } catch {
          return;
        }
        hold.read(rows, () => rows.map((row) => key(rowLabels(row))));
        const current = await view();
        this.reset();
        const rendered: string[] = [];
        // Every reported preset has a series from the start, 0 until something happens.
        for (const plan of current ? reported(current) : []) {
          const labels = presetLabels(plan.preset);
          this.inc(labels, 0);
          rendered.push(key(labels));
        }
        for (const row of rows) {
          const labels = rowLabels(row);
          const rowKey = key(labels);
          this.inc(labels, hold.held(rowKey) ? 0 : value(row));
          rendered.push(rowKey);
        }
        hold.rendered(rendered);
      },
    });
  lifetime(
    'coderd_prebuilt_workspaces_created_total',
    'Total number of prebuilt workspaces that have been created to meet the desired instance count of each template preset.',
    (row) => row.created,
  );
  lifetime(
    'coderd_prebuilt_workspaces_failed_total',
    'Total number of prebuilt workspaces that failed to build.',
    (row) => row.failed,
  );
  lifetime(
    'coderd_prebuilt_workspaces_claimed_total',
    'Total number of prebuilt workspaces which were claimed by users. Claiming refers to creating a workspace with a preset selected for which eligible prebuilt workspaces are available and one is reassigned to a user.',
    (row) => row.claimed,
  );

  const metrics: PrebuildMetrics = {
    claimDuration: new Histogram({
      name: 'coderd_prebuilt_workspace_claim_duration_seconds',
      help: 'Time to claim a prebuilt workspace by organization, template, and preset.',
      labelNames: ['organization_name', 'template_name', 'preset_name'],
      buckets: CLAIM_BUCKETS,
      registers,
      // Observed through observeSeries: a preset's series shows at 0 in one scrape before its
      // first observation, so increase(..._count) sees its first claim.
      collect() {
        releaseHeldObservations(this);
      },
    }),
    claimMisses: new Counter({
      name: 'coderd_prebuilt_workspace_claim_misses_total',
      help: 'Workspaces created from a preset with prebuilds when no prebuilt workspace was ready to claim (a normal build ran instead), counted by the replica that served the request.',
      labelNames: LABELS,
      registers,
      // A preset's series exists at 0 from the first scrape that sees the preset, so its first
      // miss is an increase (never reset: the counts are this replica's own).
      collect() {
        return zeroPerPreset(this);
      },
    }),
    creations: new Counter({
      name: 'coderd_workspace_creation_total',
      help: 'Total regular (non-prebuilt) workspace creations by organization, template, and preset.',
      labelNames: LABELS,
      registers,
      // As claim misses, for every preset of an active version (with or without prebuilds):
      // a preset's series exists at 0 once a scrape sees the preset.
      collect() {
        return zeroEveryPreset(this);
      },
    }),
    reconcileDuration: new Histogram({
      name: 'coderd_prebuilds_reconciliation_duration_seconds',
      help: 'Duration of each prebuilds reconciliation cycle.',
      registers,
    }),
    passes: new Counter({
      name: 'coderd_prebuilds_reconciliation_passes_total',
      help: 'Reconciliation passes by outcome: reconciled, paused, locked (another replica held the lock), failed.',
      labelNames: ['outcome'],
      registers,
    }),
    actions: new Counter({
      name: 'coderd_prebuilds_reconciliation_actions_total',
      help: 'What reconciliation passes did: prebuilds created and deleted, pending creation jobs canceled, preset status changes.',
      labelNames: ['type'],
      registers,
    }),
    errors: new Counter({
      name: 'coderd_prebuilds_reconciliation_errors_total',
      help: 'Reconciliation failures by kind: a whole pass, or one create, delete, cancel_pending or status action.',
      labelNames: ['kind'],
      registers,
    }),
    setStateSource: (source) => {
      stateSource = source;
    },
    setCountersSource: (source) => {
      countersSource = source;
    },
    setPresetNamesSource: (source) => {
      presetNamesSource = source;
    },
  };
  for (const outcome of ['reconciled', 'paused', 'locked', 'failed'])
    metrics.passes.inc({ outcome }, 0);
  for (const type of ['create', 'delete', 'cancel_pending', 'status']) {
    metrics.actions.inc({ type }, 0);
  }
  for (const kind of ['pass', 'create', 'delete', 'cancel_pending', 'status']) {
    metrics.errors.inc({ kind }, 0);
  }
  byRegistry.set(registry, metrics);
  return metrics;
}
