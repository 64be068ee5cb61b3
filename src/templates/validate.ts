import YAML from 'yaml';

import { cronFields } from '../domain/schedule/cron.js';
import { checkSchedules, type ScheduleInput } from '../domain/schedule/validate.js';
import { formatDuration, parseDuration } from '../util/duration.js';
import { findTextProblems } from '../util/text.js';
import { findForbiddenYamlKey, forbiddenKeyMessage } from '../util/forbidden-keys.js';
import { autoscalingIssues } from './autoscaling-checks.js';
import type { AutoscalingConfig } from './autoscaling-schema.js';
import { type TemplateConfig, TemplateConfigSchema, WEEKDAYS } from './config-schema.js';
import {
  type ConfigIssue,
  configErrorMap,
  finishIssues,
  formatIssuePath,
  fromZodIssues,
  type RawIssue,
  ROOT_PATH,
} from './issues.js';

export type ValidationResult =
  | { readonly ok: true; readonly config: TemplateConfig }
  | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

/** YAML (or JSON, a subset of YAML) text to a plain value; syntax errors are issues too. */
export function parseConfigText(
  text: string,
): { ok: true; value: unknown } | { ok: false; issues: ConfigIssue[] } {
  const document = YAML.parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (document.errors.length > 0) {
    return {
      ok: false,
      issues: document.errors.map((error) => ({
        path: ROOT_PATH,
        message: `not valid YAML or JSON: ${(error.message.split('\n')[0] ?? error.code).replace(/:$/, '')}`,
      })),
    };
  }
  const forbidden = findForbiddenYamlKey(document);
  if (forbidden !== null) {
    return { ok: false, issues: [{ path: forbidden, message: forbiddenKeyMessage(forbidden) }] };
  }
  return { ok: true, value: document.toJS({ maxAliasCount: 100 }) as unknown };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Rules that span fields. They run on the raw input, whatever else is wrong with it, so a file
 * with a type error and an overlap gets both reported in one go.
 */
function crossFieldIssues(raw: unknown): RawIssue[] {
  if (!isRecord(raw)) return [];
  const issues: RawIssue[] = [];
  const provisioner = raw.provisioner ?? 'echo';
  if (raw.exec !== undefined && provisioner !== 'exec') {
    issues.push({
      segments: ['exec'],
      message: `only allowed with provisioner: exec (provisioner is ${JSON.stringify(provisioner)})`,
    });
  }
  if (!Array.isArray(raw.presets)) return issues;
  const names = new Map<string, number>();
  let defaultAt: number | undefined;
  raw.presets.forEach((preset: unknown, index) => {
    if (!isRecord(preset)) return;
    if (typeof preset.name === 'string') {
      const first = names.get(preset.name);
      if (first === undefined) names.set(preset.name, index);
      else {
        issues.push({
          segments: ['presets', index, 'name'],
          message: `duplicate preset name ${JSON.stringify(preset.name)} (also presets[${first}])`,
        });
      }
    }
    if (preset.default === true) {
      if (defaultAt === undefined) defaultAt = index;
      else {
        issues.push({
          segments: ['presets', index, 'default'],
          message: `only one preset can be the default (presets[${defaultAt}] already is)`,
        });
      }
    }
    if (isRecord(preset.prebuilds)) {
      issues.push(...autoscalingIssues(preset.prebuilds, ['presets', index, 'prebuilds']));
    }
    const scheduling = isRecord(preset.prebuilds) ? preset.prebuilds.scheduling : undefined;
    if (!isRecord(scheduling) || !Array.isArray(scheduling.schedule)) return;
    // Items with the wrong shape are zod's to report; the rest still get cron and overlap checks.
    const schedules = scheduling.schedule.map((item: unknown): ScheduleInput | undefined =>
      isRecord(item) && typeof item.cron === 'string'
        ? { cron: item.cron, instances: 0 }
        : undefined,
    );
    const timezone = typeof scheduling.timezone === 'string' ? scheduling.timezone : undefined;
    const base = ['presets', index, 'prebuilds', 'scheduling'];
    for (const issue of checkSchedules(timezone, schedules).issues) {
      issues.push({ segments: [...base, ...issue.path], message: issue.message });
    }
  });
  return issues;
}

const canonicalDuration = (text: string) => formatDuration(parseDuration(text) ?? 0);

/** Durations in canonical form ("4w" and "28d" alike); the expression is kept as written. */
function normaliseAutoscaling(autoscaling: AutoscalingConfig): AutoscalingConfig {
  const { forecast } = autoscaling;
  if (!forecast) return autoscaling;
  return {
    ...autoscaling,
    forecast: {
      ...forecast,
      history: canonicalDuration(forecast.history),
      lead_time: forecast.lead_time === 'auto' ? 'auto' : canonicalDuration(forecast.lead_time),
    },
  };
}

const sortedRecord = (record: Record<string, string>) =>
  Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

const inWeekOrder = (days: readonly string[]) => WEEKDAYS.filter((day) => days.includes(day));

/**
 * The stored form: defaults filled in, durations and day lists in canonical form, cron fields
 * single-spaced, `$schema` dropped. Two files that mean the same thing normalise alike, so the
 * content hash only changes when the meaning does.
 */
export function normaliseConfig(config: TemplateConfig): TemplateConfig {
  const { lifecycle } = config;
  const normalised: TemplateConfig = {
    ...config,
    tags: sortedRecord(config.tags),
    lifecycle: {
      ...lifecycle,
      default_ttl: canonicalDuration(lifecycle.default_ttl),
      activity_bump: canonicalDuration(lifecycle.activity_bump),
      failure_ttl: canonicalDuration(lifecycle.failure_ttl),
      time_til_dormant: canonicalDuration(lifecycle.time_til_dormant),
      time_til_dormant_autodelete: canonicalDuration(lifecycle.time_til_dormant_autodelete),
      time_til_autostop_notify: canonicalDuration(lifecycle.time_til_autostop_notify),
      autostop_requirement: {
        ...lifecycle.autostop_requirement,
        days_of_week: inWeekOrder(lifecycle.autostop_requirement.days_of_week),
      },
      autostart_allowed_days: inWeekOrder(lifecycle.autostart_allowed_days),
    },
    presets: config.presets.map((preset) => ({
      ...preset,
      parameters: sortedRecord(preset.parameters),
      ...(preset.prebuilds && {
        prebuilds: {
          ...preset.prebuilds,
          ...(preset.prebuilds.autoscaling && {
            autoscaling: normaliseAutoscaling(preset.prebuilds.autoscaling),
          }),
          ...(preset.prebuilds.scheduling && {
            scheduling: {
              ...preset.prebuilds.scheduling,
              schedule: preset.prebuilds.scheduling.schedule.map((entry) => ({
                ...entry,
                cron: cronFields(entry.cron).join(' '),
              })),
            },
          }),
        },
      }),
    })),
  };
  delete normalised.$schema;
  if (config.exec) {
    normalised.exec = {
      ...config.exec,
      ...(config.exec.timeout !== undefined && { timeout: canonicalDuration(config.exec.timeout) }),
    };
  }
  return normalised;
}

/** Validates a parsed config; every problem comes back with its path. */
export function validateTemplateConfig(raw: unknown): ValidationResult {
  const parsed = TemplateConfigSchema.safeParse(raw, { error: configErrorMap });
  // The text rule covers every string and key, whatever field it is in; where it applies, it is
  // the problem to report (a name with a NUL is not also "not a valid name").
  const textIssues = findTextProblems(raw);
  const badText = new Set(textIssues.map((issue) => formatIssuePath(issue.segments)));
  const issues = finishIssues(raw, [
    ...textIssues,
    ...[
      ...(parsed.success ? [] : fromZodIssues(parsed.error.issues)),
      ...crossFieldIssues(raw),
    ].filter((issue) => !badText.has(formatIssuePath(issue.segments))),
  ]);
  if (!parsed.success || issues.length > 0) return { ok: false, issues };
  return { ok: true, config: normaliseConfig(parsed.data) };
}

/** Parses and validates config text (YAML or JSON). */
export function validateTemplateText(text: string): ValidationResult {
  const parsed = parseConfigText(text);
  return parsed.ok ? validateTemplateConfig(parsed.value) : parsed;
}
