import { z } from 'zod/v4';

import { formatDuration, parseDuration } from '../util/duration.js';
import { AutoscalingSchema } from './autoscaling-schema.js';
import { describeValue } from './issues.js';
import { poolSize } from './pool-size.js';

/**
 * The template config file (YAML or JSON). This zod schema is the single source of the shape:
 * the validator parses with it and `schema/template-config.schema.json` is generated from it.
 * Rules that need more than one field (duplicate preset names, one default, cron ranges and
 * their overlaps, `exec` only with the exec provisioner) are checked in `validate.ts`.
 */

export const NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const NAME_RULE =
  '1-64 characters: lowercase letters, digits, "-" and "_", starting with a letter or digit';

// Mirrors src/util/duration.ts, anchored, for editors; the bounds are checked on the parsed value.
const DURATION_PATTERN = /^(0|(\d+(\.\d+)?(ms|s|m|h|d|w))+)$/;

export const WEEKDAYS = [
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
] as const;

export const TTL_MIN_SECS = 3600;
export const TTL_MAX_SECS = 31_536_000;

const name = (what: string) =>
  z
    .string()
    .regex(NAME_PATTERN, `must be a valid ${what} name: ${NAME_RULE}`)
    .meta({ description: `${what} name: ${NAME_RULE}` });

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

/**
 * The bounds of every duration of the template config (documented in docs/templates.md): `0`
 * means off, anything else must lie in [min, max]. The upper bounds keep every stored value far
 * inside what PostgreSQL's int8 and JavaScript's safe integers hold, and are Coder's where Coder
 * has one (a workspace TTL is at most 30 days).
 */
export const DURATION_BOUNDS = {
  default_ttl: { min: MINUTE_MS, max: 30 * DAY_MS },
  activity_bump: { min: 0, max: 30 * DAY_MS },
  failure_ttl: { min: MINUTE_MS, max: 365 * DAY_MS },
  time_til_dormant: { min: MINUTE_MS, max: 365 * DAY_MS },
  time_til_dormant_autodelete: { min: MINUTE_MS, max: 365 * DAY_MS },
  time_til_autostop_notify: { min: 0, max: 30 * DAY_MS },
  'exec.timeout': { min: 1_000, max: 7 * DAY_MS },
} as const satisfies Record<string, { min: number; max: number }>;

const DURATION_EXAMPLES = '"30m", "8h", "7d", "1h30m" or 0';

/**
 * A duration: text such as "30m" or the number 0 (as YAML writes `default_ttl: 0`); off when zero,
 * else within `bounds`. The output is always text ("0" for the number 0).
 */
const duration = (description: string, bounds: { readonly min: number; readonly max: number }) =>
  z
    .union([z.string().regex(DURATION_PATTERN), z.literal(0)], {
      error: (issue) => {
        const input = issue.input;
        if (input === undefined) return 'is required';
        if (typeof input === 'string') return `must be a duration such as ${DURATION_EXAMPLES}`;
        if (typeof input === 'number') {
          return `a bare number is only accepted for 0: write the unit, e.g. "${input}m" or "${input}s"`;
        }
        return `expected a duration such as ${DURATION_EXAMPLES}, got ${describeValue(input)}`;
      },
    })
    .superRefine((value, ctx) => {
      if (typeof value === 'number') return;
      const problem = durationBoundsProblem(parseDuration(value) ?? 0, value, bounds);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .transform((value) => (typeof value === 'number' ? '0' : value))
    .meta({
      description: `${description}; 0 = off, else ${bounds.min > 0 ? `${formatDuration(bounds.min)} to ` : 'at most '}${formatDuration(bounds.max)} (durations: 500ms, 30m, 8h, 7d, 1h30m)`,
    });

/** Why a non-negative duration is outside "0 (off) or [min, max]"; undefined when it is inside. */
export function durationBoundsProblem(
  ms: number,
  text: string,
  bounds: { readonly min: number; readonly max: number },
): string | undefined {
  if (ms === 0 || (ms >= bounds.min && ms <= bounds.max)) return undefined;
  const range =
    bounds.min > 0
      ? `0 (off) or from ${formatDuration(bounds.min)} to ${formatDuration(bounds.max)}`
      : `at most ${formatDuration(bounds.max)}`;
  return `must be ${range}, got ${JSON.stringify(text)}`;
}

export const ScheduleSchema = z
  .strictObject({
    cron: z.string().meta({
      description:
        'five cron fields with the minute field "*": a range at hour granularity in the timezone, e.g. "* 8-18 * * 1-5" = 08:00:00-18:59:59 Monday to Friday',
      examples: ['* 8-18 * * 1-5', '* 8-14 * * 6'],
    }),
    instances: poolSize('pool size while this schedule matches'),
  })
  .meta({ description: 'while the cron range matches, the pool size is `instances`' });

export const SchedulingSchema = z
  .strictObject({
    timezone: z
      .string({
        error: (issue) =>
          issue.input === undefined
            ? 'is required: schedules are read in an IANA time zone such as "UTC" or "Europe/Berlin"'
            : undefined,
      })
      .meta({
        description: 'IANA time zone the schedules are read in, e.g. UTC or Europe/Berlin',
      }),
    schedule: z
      .array(ScheduleSchema)
      .min(1, 'must have at least one entry (leave out scheduling for a fixed pool size)')
      .meta({ description: 'the first matching entry wins; entries may not overlap' }),
  })
  .meta({ description: 'pool size by time of day and weekday' });

export const PrebuildsSchema = z
  .strictObject({
    instances: poolSize('pool size when no schedule matches'),
    expiration_policy: z
      .strictObject({
        ttl: z
          .number()
          .int()
          .min(0)
          .max(TTL_MAX_SECS)
          .refine(
            (ttl) => ttl === 0 || ttl >= TTL_MIN_SECS,
            `must be 0 (never expire) or from ${TTL_MIN_SECS} (1 hour) to ${TTL_MAX_SECS} (1 year) seconds`,
          )
          .meta({ description: 'seconds after which a prebuild is replaced; 0 = never' }),
      })
      .default({ ttl: 0 }),
    scheduling: SchedulingSchema.optional(),
    autoscaling: AutoscalingSchema.optional(),
  })
  .meta({ description: 'keep a pool of prebuilt workspaces of this preset warm' });

export const PresetSchema = z.strictObject({
  name: z.string().min(1).max(128).meta({ description: 'preset name, unique in the template' }),
  default: z.boolean().default(false).meta({ description: 'at most one preset is the default' }),
  parameters: z
    .record(z.string().min(1), z.string())
    .default({})
    .meta({ description: 'parameter values as strings (quote numbers: "4")' }),
  prebuilds: PrebuildsSchema.optional(),
});

export const LifecycleSchema = z.strictObject({
  default_ttl: duration(
    'a started workspace stops this long after its start',
    DURATION_BOUNDS.default_ttl,
  ).prefault('0'),
  activity_bump: duration(
    'activity moves the deadline this far ahead',
    DURATION_BOUNDS.activity_bump,
  ).prefault('1h'),
  autostop_requirement: z
    .strictObject({
      days_of_week: z
        .array(z.enum(WEEKDAYS))
        .default([])
        .meta({ description: 'workspaces must stop on these days (in the owner quiet hours)' }),
      weeks: z.number().int().min(1).max(16).default(1),
    })
    .default({ days_of_week: [], weeks: 1 }),
  autostart_allowed_days: z
    .array(z.enum(WEEKDAYS))
    .default([...WEEKDAYS])
    .meta({ description: 'days on which autostart may start a workspace' }),
  allow_user_autostart: z.boolean().default(true),
  allow_user_autostop: z.boolean().default(true),
  require_active_version: z.boolean().default(false),
  failure_ttl: duration(
    'failed workspaces are stopped after this long',
    DURATION_BOUNDS.failure_ttl,
  ).prefault('0'),
  time_til_dormant: duration(
    'unused workspaces become dormant after this long',
    DURATION_BOUNDS.time_til_dormant,
  ).prefault('0'),
  time_til_dormant_autodelete: duration(
    'dormant workspaces are deleted after this long',
    DURATION_BOUNDS.time_til_dormant_autodelete,
  ).prefault('0'),
  time_til_autostop_notify: duration(
    'owners are reminded this long before an autostop',
    DURATION_BOUNDS.time_til_autostop_notify,
  ).prefault('0'),
});

export const ExecSchema = z
  .strictObject({
    command: z
      .string()
      .min(1)
      .optional()
      .meta({
        description:
          'name of a command the exec daemons define (--exec-command NAME=COMMAND); unset = their command named default. Any other text is a literal command: pushed only with an admin token, run only by daemons started with --exec-allow-template-commands',
        examples: ['build', 'default'],
      }),
    timeout: duration(
      'a build running longer is killed',
      DURATION_BOUNDS['exec.timeout'],
    ).optional(),
  })
  .meta({ description: 'only with provisioner: exec' });

export const TemplateConfigSchema = z
  .strictObject({
    $schema: z.string().optional().meta({ description: 'editor hint; ignored' }),
    name: name('template'),
    organization: name('organization').default('default'),
    display_name: z.string().max(128).default(''),
    deprecated: z
      .string()
      .default('')
      .meta({ description: 'non-empty = deprecated, with the reason' }),
    provisioner: z.enum(['echo', 'exec']).default('echo'),
    tags: z
      .record(z.string().min(1), z.string())
      .default({})
      .meta({ description: "provisioner tags this template's jobs carry" }),
    exec: ExecSchema.optional(),
    lifecycle: LifecycleSchema.prefault({}),
    presets: z.array(PresetSchema).default([]),
  })
  .meta({
    title: 'prebuild-controller template config',
    description:
      'A template for prebuild-controller: provisioner, lifecycle options and presets with their prebuild pools.',
  });

export type TemplateConfig = z.output<typeof TemplateConfigSchema>;
export type PresetConfig = z.output<typeof PresetSchema>;
export type PrebuildsConfig = z.output<typeof PrebuildsSchema>;
export type Weekday = (typeof WEEKDAYS)[number];
