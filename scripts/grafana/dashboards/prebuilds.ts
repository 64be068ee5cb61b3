import type { DashboardSpec } from '../model.js';
import { alertAbove, stat, table, timeseries } from '../panels.js';
import { replicaHealth } from './replicas.js';
import {
  datasourceVariable,
  labelVariable,
  mean,
  quantile,
  selector,
  targetVariables,
} from '../variables.js';

/** The series key of a preset (every per-preset metric carries these three labels). */
const KEY = 'organization_name, template_name, preset_name';
const PRESET = [
  'organization_name=~"$organization"',
  'template_name=~"$template"',
  'preset_name=~"$preset"',
];
const LEGEND = '{{template_name}} / {{preset_name}}';

/**
 * Every replica computes the per-preset gauges and the lifetime counters from the same database,
 * so they export the same values: `max by (preset)` de-duplicates them (as Coder's dashboard does).
 */
const perPreset = (metric: string, ...extra: string[]) =>
  `max by (${KEY}) (${selector(metric, ...PRESET, ...extra)})`;
const presetTotal = (metric: string) => `sum(${perPreset(metric)}) or vector(0)`;
const presetCount = (metric: string) => `count(${perPreset(metric)} == 1) or vector(0)`;
/** Lifetime counters from the database: the same on every replica, so max, not sum. */
const poolIncrease = (metric: string, window = '$__rate_interval') =>
  `max by (${KEY}) (increase(${selector(metric, ...PRESET)}[${window}]))`;

const CLAIM = 'coderd_prebuilt_workspace_claim_duration_seconds';
const READY = 'coderd_prebuilt_workspaces_time_to_ready_seconds';
const RECONCILE = 'coderd_prebuilds_reconciliation_duration_seconds';
const PAUSED = 'coderd_prebuilt_workspaces_reconciliation_paused';

const now = [
  stat({
    title: 'Desired',
    description: 'Prebuilt workspaces the selected presets want now (their schedules applied).',
    width: 3,
    query: { expr: presetTotal('coderd_prebuilt_workspaces_desired') },
  }),
  stat({
    title: 'Running',
    description:
      'Prebuilt workspaces whose latest build is a successful start (expired ones included), ready or not.',
    width: 3,
    query: { expr: presetTotal('coderd_prebuilt_workspaces_running') },
  }),
  stat({
    title: 'Eligible',
    description: 'Running prebuilt workspaces whose agents are ready: what a claim can take now.',
    width: 3,
    query: { expr: presetTotal('coderd_prebuilt_workspaces_eligible') },
  }),
  stat({
    title: 'Ineligible',
    description:
      'Running prebuilt workspaces not (yet) claimable: their agent is starting, failed to start or is still running its startup script.',
    width: 3,
    query: {
      expr: `sum(max by (${KEY}) (${selector('coderd_prebuilt_workspaces_running', ...PRESET)} - ${selector('coderd_prebuilt_workspaces_eligible', ...PRESET)})) or vector(0)`,
    },
    thresholds: alertAbove(1, 'orange'),
  }),
  stat({
    title: 'Presets backing off',
    description:
      'Presets whose prebuild creation waits after failed builds (the wait doubles with each further failure).',
    width: 3,
    query: { expr: presetCount('coderd_prebuilt_workspaces_preset_backoff') },
    thresholds: alertAbove(1, 'orange'),
  }),
  stat({
    title: 'Presets hard-limited',
    description:
      'Presets that stopped creating prebuilds after too many consecutive failed builds, until a new version is pushed or `prebuilds reset`.',
    width: 3,
    query: { expr: presetCount('coderd_prebuilt_workspaces_preset_hard_limited') },
    thresholds: alertAbove(1),
  }),
  stat({
    title: 'Reconciliation',
    description:
      'Whether prebuild reconciliation is paused (`prebuilds pause`): while paused no prebuild is created or deleted.',
    width: 3,
    query: { expr: `max(${selector(PAUSED)})` },
    thresholds: alertAbove(1),
    mappings: [
      {
        type: 'value',
        options: {
          '0': { text: 'Running', color: 'green', index: 0 },
          '1': { text: 'Paused', color: 'red', index: 1 },
        },
      },
    ],
  }),
  stat({
    title: 'Claims served from the pool',
    description:
      'Over the time range: workspaces created from a preset with prebuilds that got a ready prebuild, as a share of all of them (claims plus misses, where a normal build ran).',
    width: 3,
    unit: 'percent',
    query: {
      expr: `100 * sum(${poolIncrease('coderd_prebuilt_workspaces_claimed_total', '$__range')}) / clamp_min(sum(${poolIncrease('coderd_prebuilt_workspaces_claimed_total', '$__range')}) + (sum(increase(${selector('coderd_prebuilt_workspace_claim_misses_total', ...PRESET)}[$__range])) or vector(0)), 1)`,
    },
  }),
];

const presetsTable = table({
  title: 'Presets',
  description:
    'Each selected preset now. Backoff, hard limit and invalid schedule are 1 when the preset is in that state.',
  width: 24,
  height: 7,
  keys: ['organization_name', 'template_name', 'preset_name'],
  columns: ['Desired', 'Running', 'Eligible', 'Backing off', 'Hard-limited', 'Schedule invalid'],
  queries: [
    'coderd_prebuilt_workspaces_desired',
    'coderd_prebuilt_workspaces_running',
    'coderd_prebuilt_workspaces_eligible',
    'coderd_prebuilt_workspaces_preset_backoff',
    'coderd_prebuilt_workspaces_preset_hard_limited',
    'coderd_prebuilt_workspaces_schedule_invalid',
  ].map((metric) => ({ expr: perPreset(metric) })),
});

const capacity = timeseries({
  title: 'Pool capacity: $preset',
  description:
    'Desired (dashed) vs running vs eligible prebuilt workspaces of the preset. Running below desired: the pool is filling (or builds fail); eligible below running: agents are not ready yet.',
  width: 8,
  repeat: { variable: 'preset', maxPerRow: 3 },
  dashed: ['.* desired$'],
  queries: [
    { expr: perPreset('coderd_prebuilt_workspaces_desired'), legend: `${LEGEND} desired` },
    { expr: perPreset('coderd_prebuilt_workspaces_running'), legend: `${LEGEND} running` },
    { expr: perPreset('coderd_prebuilt_workspaces_eligible'), legend: `${LEGEND} eligible` },
  ],
});

const operations = [
  timeseries({
    title: 'Created, failed, claimed',
    description:
      'Prebuilt workspaces created, failed and claimed per interval (the lifetime counters are recomputed from the database every minute, so they move in steps).',
    width: 12,
    bars: true,
    queries: [
      {
        expr: poolIncrease('coderd_prebuilt_workspaces_created_total'),
        legend: `${LEGEND} created`,
      },
      { expr: poolIncrease('coderd_prebuilt_workspaces_failed_total'), legend: `${LEGEND} failed` },
      {
        expr: poolIncrease('coderd_prebuilt_workspaces_claimed_total'),
        legend: `${LEGEND} claimed`,
      },
    ],
  }),
  timeseries({
    title: 'Claim misses',
    description:
      'Workspaces created from a preset with prebuilds when none was ready, so a normal build ran instead: the pool is too small for the demand or is refilling.',
    width: 12,
    bars: true,
    queries: [
      {
        expr: `sum by (template_name, preset_name) (increase(${selector('coderd_prebuilt_workspace_claim_misses_total', ...PRESET)}[$__rate_interval]))`,
        legend: LEGEND,
      },
    ],
  }),
  timeseries({
    title: 'Claim latency',
    description:
      'Time to claim a prebuilt workspace, from the request to the commit of the claim (the claim build runs afterwards; see the job queue dashboard).',
    width: 12,
    unit: 's',
    queries: [0.5, 0.95, 0.99].map((q) => ({
      expr: quantile(q, CLAIM, PRESET),
      legend: `p${q * 100}`,
    })),
  }),
  timeseries({
    title: 'Claim latency p95 by preset',
    description: 'The 95th percentile of the claim time of each preset.',
    width: 12,
    unit: 's',
    queries: [
      { expr: quantile(0.95, CLAIM, PRESET, ['template_name', 'preset_name']), legend: LEGEND },
    ],
  }),
  timeseries({
    title: 'Time to ready by preset (p50, p95)',
    description:
      "From a prebuild's creation job starting to the prebuild being eligible for claims (build succeeded, every agent ready), per preset: which preset's builds are slow. A pool refills this long after a claim.",
    width: 12,
    unit: 's',
    dashed: ['p50$'],
    queries: [
      {
        expr: quantile(0.95, READY, PRESET, ['template_name', 'preset_name']),
        legend: `${LEGEND} p95`,
      },
      {
        expr: quantile(0.5, READY, PRESET, ['template_name', 'preset_name']),
        legend: `${LEGEND} p50`,
      },
    ],
  }),
  timeseries({
    title: 'Prebuilds becoming ready',
    description:
      'Prebuilds that became eligible for claims per interval, by preset (counted by the process that ran the build or took the agent report).',
    width: 12,
    bars: true,
    queries: [
      {
        expr: `sum by (template_name, preset_name) (increase(${selector(`${READY}_count`, ...PRESET)}[$__rate_interval]))`,
        legend: LEGEND,
      },
    ],
  }),
];

const reconciliation = [
  timeseries({
    title: 'Reconciliation duration',
    description:
      'Duration of the reconciliation passes that held the lock (snapshot, decide, act), across replicas.',
    width: 8,
    unit: 's',
    queries: [
      ...[0.5, 0.95, 0.99].map((q) => ({
        expr: quantile(q, RECONCILE, []),
        legend: `p${q * 100}`,
      })),
      { expr: mean(RECONCILE, []), legend: 'mean' },
    ],
  }),
  timeseries({
    title: 'Passes by outcome',
    description:
      'Reconciliation passes per minute: reconciled, paused, locked (another replica held the lock) or failed. With several replicas, one reconciles and the others count locked.',
    width: 8,
    unit: 'opm',
    queries: [
      {
        expr: `sum by (outcome) (rate(${selector('coderd_prebuilds_reconciliation_passes_total')}[$__rate_interval])) * 60`,
        legend: '{{outcome}}',
      },
    ],
  }),
  timeseries({
    title: 'Actions and errors',
    description:
      'Per minute: prebuilds created and deleted, pending creation jobs canceled, preset status changes; and failures by kind (a whole pass, or one action).',
    width: 8,
    unit: 'opm',
    queries: [
      {
        expr: `sum by (type) (rate(${selector('coderd_prebuilds_reconciliation_actions_total')}[$__rate_interval])) * 60`,
        legend: '{{type}}',
      },
      {
        expr: `sum by (kind) (rate(${selector('coderd_prebuilds_reconciliation_errors_total')}[$__rate_interval])) * 60`,
        legend: 'error: {{kind}}',
      },
    ],
  }),
  timeseries({
    title: 'Presets backing off, hard-limited, with an invalid schedule',
    description:
      'How many selected presets are in each state. Backing off resolves itself; hard-limited needs a new template version or `prebuilds reset`; an invalid stored schedule falls back to the preset instance count.',
    width: 8,
    queries: [
      { expr: presetCount('coderd_prebuilt_workspaces_preset_backoff'), legend: 'backing off' },
      {
        expr: presetCount('coderd_prebuilt_workspaces_preset_hard_limited'),
        legend: 'hard-limited',
      },
      {
        expr: presetCount('coderd_prebuilt_workspaces_schedule_invalid'),
        legend: 'schedule invalid',
      },
    ],
  }),
  timeseries({
    title: 'Reconciliation paused',
    description: '1 while reconciliation is paused.',
    width: 8,
    queries: [{ expr: `max(${selector(PAUSED)})`, legend: 'paused' }],
  }),
  timeseries({
    title: 'Age of the prebuild gauges',
    description:
      'Seconds since the state behind the per-preset gauges was computed. It grows when the replicas cannot read the database.',
    width: 8,
    unit: 's',
    queries: [
      {
        expr: `time() - max(${selector('coderd_prebuilt_workspaces_metrics_last_updated')})`,
        legend: 'age',
      },
    ],
  }),
];

export const prebuildsDashboard: DashboardSpec = {
  uid: 'prebuild-controller-pools',
  title: 'Prebuild controller / Prebuild pools',
  description:
    'Pools of prebuilt workspaces per template preset: desired vs running vs eligible, creations, failures, claims and claim latency, and the reconciler (duration, passes, backoff, hard limits, pause).',
  variables: [
    datasourceVariable,
    ...targetVariables(PAUSED),
    labelVariable(
      'organization',
      'organization_name',
      'coderd_prebuilt_workspaces_desired{job=~"$job"}',
    ),
    labelVariable(
      'template',
      'template_name',
      'coderd_prebuilt_workspaces_desired{job=~"$job", organization_name=~"$organization"}',
    ),
    labelVariable(
      'preset',
      'preset_name',
      'coderd_prebuilt_workspaces_desired{job=~"$job", organization_name=~"$organization", template_name=~"$template"}',
    ),
  ],
  sections: [
    { title: 'Now', panels: now },
    { title: 'Presets', panels: [presetsTable] },
    { title: 'Pool capacity', panels: [capacity] },
    { title: 'Pool operations and claims', panels: operations },
    { title: 'Reconciliation', panels: reconciliation },
    replicaHealth(),
  ],
};
