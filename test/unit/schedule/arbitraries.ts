import { CronExpressionParser } from 'cron-parser';
import fc from 'fast-check';
import { DateTime } from 'luxon';

import type { PrebuildScheduleConfig } from '../../../src/domain/schedule/index.js';
import { checkSchedules } from '../../../src/domain/schedule/index.js';

/** Zones with DST in either hemisphere, 30/45-minute offsets and a 30-minute DST shift. */
export const ZONES = [
  'UTC',
  'America/New_York',
  'Europe/Berlin',
  'Australia/Sydney',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Australia/Lord_Howe',
  'America/St_Johns',
  'Pacific/Chatham',
] as const;

const MONTH_NAMES = [
  'JAN',
  'FEB',
  'MAR',
  'APR',
  'MAY',
  'JUN',
  'JUL',
  'AUG',
  'SEP',
  'OCT',
  'NOV',
  'DEC',
];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface FieldShape {
  readonly min: number;
  readonly max: number;
  readonly name?: (value: number) => string | undefined;
}

/** One list element: *, N, A-B, each maybe with /STEP; values maybe as names. */
function element(shape: FieldShape): fc.Arbitrary<string> {
  const value = (n: number) =>
    fc.constantFrom(String(n), ...(shape.name?.(n) !== undefined ? [shape.name(n) as string] : []));
  const single = fc.integer({ min: shape.min, max: shape.max }).chain(value);
  const range = fc
    .tuple(
      fc.integer({ min: shape.min, max: shape.max }),
      fc.integer({ min: shape.min, max: shape.max }),
    )
    .map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const)
    .chain(([a, b]) => fc.tuple(value(a), value(b)).map(([x, y]) => `${x}-${y}`));
  const step = fc.integer({ min: 1, max: Math.max(2, Math.ceil((shape.max - shape.min) / 2)) });
  return fc.oneof(
    { arbitrary: single, weight: 4 },
    { arbitrary: range, weight: 4 },
    { arbitrary: step.map((s) => `*/${s}`), weight: 1 },
    { arbitrary: fc.tuple(range, step).map(([r, s]) => `${r}/${s}`), weight: 1 },
  );
}

function field(shape: FieldShape, wildcardWeight = 3): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: fc.constant('*'), weight: wildcardWeight },
    { arbitrary: element(shape), weight: 4 },
    {
      arbitrary: fc
        .array(element(shape), { minLength: 2, maxLength: 3 })
        .map((parts) => parts.join(',')),
      weight: 2,
    },
  );
}

export const hourField = field({ min: 0, max: 23 }, 1);
export const domField = field({ min: 1, max: 31 });
export const monthField = field({ min: 1, max: 12, name: (n) => MONTH_NAMES[n - 1] });
export const dowField = field({ min: 0, max: 7, name: (n) => (n < 7 ? DAY_NAMES[n] : undefined) });

/** A five-field range expression (minute `*`), not necessarily one that can match. */
export const cronText = fc
  .tuple(hourField, domField, monthField, dowField)
  .map(([hour, dom, month, dow]) => `* ${hour} ${dom} ${month} ${dow}`);

/** cron-parser's reading of the fields: the independent oracle for the brute-force checks. */
export interface OracleCron {
  readonly hours: ReadonlySet<number>;
  readonly doms: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  readonly dows: ReadonlySet<number>;
  readonly domWildcard: boolean;
  readonly dowWildcard: boolean;
}

const oracleCache = new Map<string, OracleCron | undefined>();

export function oracleCron(text: string): OracleCron | undefined {
  if (!oracleCache.has(text)) oracleCache.set(text, readOracleCron(text));
  return oracleCache.get(text);
}

function readOracleCron(text: string): OracleCron | undefined {
  try {
    const { fields } = CronExpressionParser.parse(text);
    return {
      hours: new Set(fields.hour.values as number[]),
      doms: new Set(fields.dayOfMonth.values as number[]),
      months: new Set(fields.month.values as number[]),
      dows: new Set((fields.dayOfWeek.values as number[]).map((d) => d % 7)),
      domWildcard: fields.dayOfMonth.isWildcard,
      dowWildcard: fields.dayOfWeek.isWildcard,
    };
  } catch {
    return undefined;
  }
}

/** Standard cron: restricted day-of-month and day-of-week match if either does. */
export function oracleMatches(
  cron: OracleCron,
  local: { month: number; day: number; weekday: number; hour: number },
): boolean {
  if (!cron.hours.has(local.hour) || !cron.months.has(local.month)) return false;
  const dom = cron.doms.has(local.day);
  const dow = cron.dows.has(local.weekday);
  return !cron.domWildcard && !cron.dowWildcard ? dom || dow : dom && dow;
}

/** Local wall-clock fields by luxon (not the code under test). */
export function luxonLocal(ms: number, zone: string) {
  const dt = DateTime.fromMillis(ms, { zone });
  return { year: dt.year, month: dt.month, day: dt.day, weekday: dt.weekday % 7, hour: dt.hour };
}

/** Brute force: the first schedule whose fields match the local date-time, else instances. */
export function oracleDesired(config: PrebuildScheduleConfig, ms: number): number {
  const local = luxonLocal(ms, config.timezone);
  for (const schedule of config.schedules) {
    const cron = oracleCron(schedule.cron);
    if (cron && oracleMatches(cron, local)) return schedule.instances;
  }
  return config.instances;
}

/** Valid configurations (what a push accepts) that cron-parser can read too. */
export const validConfig: fc.Arbitrary<PrebuildScheduleConfig> = fc
  .record({
    instances: fc.integer({ min: 0, max: 5 }),
    timezone: fc.constantFrom(...ZONES),
    schedules: fc.array(fc.record({ cron: cronText, instances: fc.integer({ min: 0, max: 9 }) }), {
      minLength: 1,
      maxLength: 3,
    }),
  })
  .filter(
    (config) =>
      config.schedules.every((s) => oracleCron(s.cron) !== undefined) &&
      checkSchedules(config.timezone, config.schedules).issues.length === 0,
  );

/** Instants from 2020 to 2035, biased towards whole quarter hours (every local hour start). */
export const instant = fc.oneof(
  fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2035, 0, 1) }),
  fc
    .integer({ min: Date.UTC(2020, 0, 1) / 900_000, max: Date.UTC(2035, 0, 1) / 900_000 })
    .chain((q) => fc.constantFrom(q * 900_000, q * 900_000 - 1)),
);

/** Every UTC-offset change of a zone from 2020 to 2035, found with luxon (day scan, then bisection). */
function transitions(zone: string): number[] {
  const offset = (ms: number) => DateTime.fromMillis(ms, { zone }).offset;
  const found: number[] = [];
  const DAY = 86_400_000;
  for (let day = Date.UTC(2020, 0, 1); day < Date.UTC(2035, 0, 1); day += DAY) {
    if (offset(day) === offset(day + DAY)) continue;
    let low = day;
    let high = day + DAY;
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      if (offset(middle) === offset(day)) low = middle;
      else high = middle;
    }
    found.push(high);
  }
  return found;
}

const transitionCache = new Map<string, number[]>();

/** Instants within three hours of one of the zone's DST changes (or anywhere, for zones without). */
export function nearTransition(zone: string): fc.Arbitrary<number> {
  if (!transitionCache.has(zone)) transitionCache.set(zone, transitions(zone));
  const list = transitionCache.get(zone) ?? [];
  if (list.length === 0) return instant;
  return fc
    .tuple(
      fc.constantFrom(...list),
      fc.integer({ min: -180, max: 180 }),
      fc.constantFrom(0, -1, 1, 29_999),
    )
    .map(([at, minutes, ms]) => at + minutes * 60_000 + ms);
}

/** A valid config and an instant near one of its zone's DST changes. */
export const configNearTransition = validConfig.chain((config) =>
  fc.tuple(fc.constant(config), nearTransition(config.timezone)),
);
