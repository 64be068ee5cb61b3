import { DEFAULT_AUTOSCALING_SETTINGS } from '../../src/domain/autoscaling/defaults.js';
import {
  officeHours,
  poissonArrivals,
  seededRandom,
  simulate,
  type SimulationInput,
} from '../../src/domain/autoscaling/simulate/index.js';
import type { AutoscalingPolicy } from '../../src/domain/autoscaling/types.js';
import { summarize } from '../stats.js';
import type { BenchRow, PureBenchSuite } from './types.js';

const DAY = 86_400_000;
const FROM = Date.parse('2026-11-23T00:00:00Z'); // a Monday
const TO = FROM + 7 * DAY;
/** 5 claims a minute on weekdays 08-18 UTC, 0.7 otherwise: about 20k attempts a week. */
const RATE = officeHours(5, 0.7);
const MAX_RUNS = 10;
const WARMUP = 3;

const FORECAST: AutoscalingPolicy = {
  kind: 'forecast',
  targetHitRate: 0.95,
  min: 0,
  max: 50,
  historyMs: 28 * DAY,
  leadTimeMs: null,
};

const POLICIES: readonly { name: string; policy: AutoscalingPolicy | null; warm: boolean }[] = [
  { name: 'scheduled', policy: null, warm: false },
  {
    name: 'expression',
    policy: { kind: 'expression', expression: 'max(scheduled_target, ceil(claim_rate_30m * 8))' },
    warm: false,
  },
  {
    name: 'forecast',
    policy: FORECAST,
    warm: false,
  },
  {
    name: 'forecast, 3 weeks of history',
    policy: FORECAST,
    warm: true,
  },
];

/**
 * `prebuilds simulate`'s core on a week of ~20k claim attempts (issue 9's target: well under a
 * second), per policy, at the default 15 s reconcile interval and a 2-minute lead time.
 */
export const simulateSuite: PureBenchSuite = {
  name: 'simulate',
  description: 'autoscaling simulator: one week, ~20k claim attempts, per policy',
  database: false,
  async run({ runs }) {
    const random = seededRandom(9);
    const history = poissonArrivals(random, RATE, FROM - 21 * DAY, FROM, 5);
    const week = poissonArrivals(random, RATE, FROM, TO, 5);
    const rows: BenchRow[] = [];
    const details: Record<string, unknown> = { attempts: week.length, history: history.length };
    for (const { name, policy, warm } of POLICIES) {
      const input: SimulationInput = {
        attempts: warm ? [...history, ...week] : week,
        from: FROM,
        to: TO,
        policy,
        schedule: {
          instances: 1,
          timezone: 'UTC',
          schedules: [{ cron: '* 8-17 * * 1-5', instances: 12 }],
        },
        leadTimeMs: 120_000,
        reconcileIntervalMs: 15_000,
        settings: DEFAULT_AUTOSCALING_SETTINGS,
      };
      let result = simulate(input);
      // The first runs include the JIT's warm-up; CPU time is reported too because wall time
      // on a shared machine also measures the neighbours.
      for (let i = 0; i < WARMUP; i++) simulate(input);
      const wall: number[] = [];
      const cpu: number[] = [];
      for (let i = 0; i < Math.min(runs, MAX_RUNS); i++) {
        const started = performance.now();
        const cpuBefore = process.cpuUsage();
        result = simulate(input);
        const used = process.cpuUsage(cpuBefore);
        wall.push(performance.now() - started);
        cpu.push((used.user + used.system) / 1000);
      }
      const timing = { wall: summarize(wall), cpu: summarize(cpu) };
      rows.push({ metric: `${name}: one week`, value: timing.wall.median, unit: 'ms' });
      rows.push({ metric: `${name}: CPU`, value: timing.cpu.median, unit: 'ms' });
      details[name] = {
        ms: timing,
        evaluations: result.decisions.evaluations,
        hitRate: result.hitRate,
        prebuildHours: Math.round(result.prebuildHours * 10) / 10,
      };
    }
    rows.push({ metric: 'attempts simulated per run', value: week.length });
    return { rows, details };
  },
};
