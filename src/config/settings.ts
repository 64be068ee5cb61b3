import { z } from 'zod';

import { parseQuietHours } from '../domain/lifecycle/quiet-hours.js';
import { LOG_LEVELS } from '../log/logger.js';
import { parseDuration } from '../util/duration.js';

const duration = (min = 0) =>
  z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `"${text}" is not a duration (examples: 500ms, 15s, 1m, 2h, 7d)`,
      });
      return z.NEVER;
    }
    if (ms < min) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `must be at least ${min}ms` });
      return z.NEVER;
    }
    return ms;
  });

const integer = (min: number, max: number) =>
  z.string().transform((text, ctx) => {
    const value = Number(text);
    if (!/^-?\d+$/.test(text.trim()) || value < min || value > max) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `"${text}" must be a whole number from ${min} to ${max}`,
      });
      return z.NEVER;
    }
    return value;
  });

const oneOf = <T extends readonly [string, ...string[]]>(values: T) => {
  const isOneOf = (text: string): text is T[number] => (values as readonly string[]).includes(text);
  return z.string().transform((text, ctx) => {
    if (!isOneOf(text)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `"${text}" must be one of ${values.join(', ')}`,
      });
      return z.NEVER;
    }
    return text;
  });
};

const postgresUrl = z.string().transform((text, ctx) => {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || !['postgres:', 'postgresql:'].includes(url.protocol) || url.hostname === '') {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message: 'must be a URL like postgres://user:password@host:5432/database',
    });
    return z.NEVER;
  }
  return text;
});

const httpUrl = z.string().transform((text, ctx) => {
  try {
    const url = new URL(text);
    if (url.protocol === 'http:' || url.protocol === 'https:') return text;
  } catch {
    // reported below
  }
  ctx.addIssue({ code: z.ZodIssueCode.custom, message: `"${text}" is not an http(s) URL` });
  return z.NEVER;
});

const listenAddress = z.string().transform((text, ctx) => {
  const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(text);
  const port = Number(match?.[2]);
  if (!match || port > 65535) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message: `"${text}" must be host:port, for example 127.0.0.1:8080 or 0.0.0.0:8080`,
    });
    return z.NEVER;
  }
  return { host: (match[1] as string).replace(/^\[|\]$/g, ''), port };
});

const nonEmpty = z.string().min(1, 'must not be empty');

const boolean = z.string().transform((text, ctx) => {
  const value = text.trim().toLowerCase();
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  ctx.addIssue({ code: z.ZodIssueCode.custom, message: `"${text}" must be true or false` });
  return z.NEVER;
});

const fraction = z.string().transform((text, ctx) => {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message: `"${text}" must be a number from 0 to 1 (for example 0.1 = 10%)`,
    });
    return z.NEVER;
  }
  return value;
});

/** Provisioner tags as `key=value` pairs separated by commas: `region=us-east,gpu=true`. */
export function parseTags(text: string): Record<string, string> | string {
  const tags: Record<string, string> = {};
  for (const part of text.split(',').map((p) => p.trim())) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = eq === -1 ? '' : part.slice(0, eq).trim();
    const value = eq === -1 ? '' : part.slice(eq + 1).trim();
    if (!/^[A-Za-z0-9_./-]{1,64}$/.test(key) || value.length > 256 || value.includes('\0')) {
      return `"${part}" must be key=value (key: letters, digits, _ . / -; value up to 256 characters)`;
    }
    if (Object.hasOwn(tags, key)) return `tag "${key}" is given twice`;
    tags[key] = value;
  }
  return tags;
}

const tagList = z.string().transform((text, ctx) => {
  const parsed = parseTags(text);
  if (typeof parsed === 'string') {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: parsed });
    return z.NEVER;
  }
  return parsed;
});

const quietHoursSchedule = z.string().transform((text, ctx) => {
  try {
    return parseQuietHours(text).text;
  } catch (error) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: (error as Error).message });
    return z.NEVER;
  }
});

export interface SettingDefinition {
  /** Environment variable. */
  readonly env: string;
  /** What it does, for --help and the README. */
  readonly description: string;
  /** Default as text (parsed like any input); undefined = unset. */
  readonly default?: string;
  /** Placeholder in --help. */
  readonly arg: string;
  readonly schema: z.ZodType<unknown, z.ZodTypeDef, string>;
}

/**
 * Every setting of the controller: one environment variable and one flag each (the flag is the
 * kebab-case key). Durations accept 500ms, 15s, 1m, 2h, 7d.
 */
export const SETTINGS = {
  databaseUrl: {
    env: 'DATABASE_URL',
    arg: 'url',
    description: 'PostgreSQL URL; unset = embedded PostgreSQL under the data dir',
    schema: postgresUrl,
  },
  databasePoolSize: {
    env: 'PREBUILD_CONTROLLER_DATABASE_POOL_SIZE',
    arg: 'n',
    description:
      'most database connections the process opens (unset = 10 for run; 2 + 2 x concurrency, at most 50, for provisionerd); the LISTEN connection comes on top',
    schema: integer(2, 1000),
  },
  databaseStatementTimeout: {
    env: 'PREBUILD_CONTROLLER_DATABASE_STATEMENT_TIMEOUT',
    arg: 'duration',
    default: '1m',
    description:
      'a query running longer is canceled by PostgreSQL (statement_timeout of the pool connections; 0 = no limit; migrations are not limited)',
    schema: duration(0),
  },
  databaseConnectTimeout: {
    env: 'PREBUILD_CONTROLLER_DATABASE_CONNECT_TIMEOUT',
    arg: 'duration',
    default: '10s',
    description:
      'how long opening a database connection may take; then run and provisionerd retry with backoff, migrate and one-shot commands fail',
    schema: duration(100),
  },
  migrationLockTimeout: {
    env: 'PREBUILD_CONTROLLER_MIGRATION_LOCK_TIMEOUT',
    arg: 'duration',
    default: '10m',
    description:
      "how long migrating waits for another replica's migration lock before failing (0 = no limit)",
    schema: duration(0),
  },
  dataDir: {
    env: 'PREBUILD_CONTROLLER_DATA_DIR',
    arg: 'path',
    default: './.data',
    description: 'folder for the embedded PostgreSQL (in <dir>/postgres)',
    schema: nonEmpty,
  },
  embeddedPgPort: {
    env: 'PREBUILD_CONTROLLER_EMBEDDED_PG_PORT',
    arg: 'port',
    default: '54329',
    description: 'port of the embedded PostgreSQL (127.0.0.1 only)',
    schema: integer(1024, 65535),
  },
  listen: {
    env: 'PREBUILD_CONTROLLER_LISTEN',
    arg: 'host:port',
    default: '127.0.0.1:8080',
    description: 'HTTP listen address (API, /metrics, /healthz, /readyz)',
    schema: listenAddress,
  },
  metricsListen: {
    env: 'PREBUILD_CONTROLLER_METRICS_LISTEN',
    arg: 'host:port',
    description:
      'also serve /metrics, /healthz and /readyz (no API) on this address, for scrapers and probes; unset = none (run still serves them on --listen; provisionerd then has no HTTP at all)',
    schema: listenAddress,
  },
  logRequests: {
    env: 'PREBUILD_CONTROLLER_LOG_REQUESTS',
    arg: 'true|false',
    default: 'false',
    description:
      'log one line per HTTP request (method, route, status, duration); probes and scrapes at debug level',
    schema: boolean,
  },
  apiToken: {
    env: 'PREBUILD_CONTROLLER_API_TOKEN',
    arg: 'token',
    description: 'bearer token for /api/v1; unset = API answers on loopback only, with a warning',
    schema: z.string().min(8, 'must be at least 8 characters'),
  },
  reconcileInterval: {
    env: 'PREBUILD_CONTROLLER_RECONCILE_INTERVAL',
    arg: 'duration',
    default: '15s',
    description: 'period of the prebuild reconciliation pass',
    schema: duration(100),
  },
  backoffBase: {
    env: 'PREBUILD_CONTROLLER_BACKOFF_BASE',
    arg: 'duration',
    default: '1m',
    description:
      'wait after a failed prebuild creation; doubles with each further consecutive failure',
    schema: duration(1),
  },
  backoffCap: {
    env: 'PREBUILD_CONTROLLER_BACKOFF_CAP',
    arg: 'duration',
    default: '30m',
    description: 'longest wait of the prebuild creation backoff (at least the base)',
    schema: duration(1),
  },
  backoffLookback: {
    env: 'PREBUILD_CONTROLLER_BACKOFF_LOOKBACK',
    arg: 'duration',
    default: '1h',
    description: 'prebuild creation failures older than this are forgotten by the backoff',
    schema: duration(0),
  },
  failureHardLimit: {
    env: 'PREBUILD_CONTROLLER_FAILURE_HARD_LIMIT',
    arg: 'count',
    default: '3',
    description:
      'stop creating prebuilds for a preset after this many consecutive failed creations (0 = never)',
    schema: integer(0, 1000),
  },
  prebuildCleanupGrace: {
    env: 'PREBUILD_CONTROLLER_PREBUILD_CLEANUP_GRACE',
    arg: 'duration',
    default: '1h',
    description: 'stopped or failed prebuilds are deleted this long after their last build ended',
    schema: duration(0),
  },
  prebuildDeleteRetryLimit: {
    env: 'PREBUILD_CONTROLLER_PREBUILD_DELETE_RETRY_LIMIT',
    arg: 'count',
    default: '5',
    description:
      'stop retrying the delete of a prebuild after this many consecutive failed deletes, and notify once (0 = retry forever); retries back off like creations',
    schema: integer(0, 1000),
  },
  prebuildActionConcurrency: {
    env: 'PREBUILD_CONTROLLER_PREBUILD_ACTION_CONCURRENCY',
    arg: 'n',
    description:
      'how many prebuild creates and deletes a reconciliation pass runs at once (unset = min(5, database pool size / 2))',
    schema: integer(1, 100),
  },
  prebuildMetricsInterval: {
    env: 'PREBUILD_CONTROLLER_PREBUILD_METRICS_INTERVAL',
    arg: 'duration',
    default: '1m',
    description:
      'how often the lifetime created/failed/claimed prebuild counters of /metrics are recomputed (a scan of every prebuild creation build)',
    schema: duration(1000),
  },
  autoscalingMaxTarget: {
    env: 'PREBUILD_CONTROLLER_AUTOSCALING_MAX_TARGET',
    arg: 'count',
    default: '100',
    description:
      'largest pool size an autoscaling policy (expression or forecast) may ask for; presets without a policy keep their scheduled size',
    schema: integer(0, 1000),
  },
  autoscalingDefaultLeadTime: {
    env: 'PREBUILD_CONTROLLER_AUTOSCALING_DEFAULT_LEAD_TIME',
    arg: 'duration',
    default: '2m',
    description:
      'lead time (creation job start to eligible) a forecast with lead_time: auto assumes while too few prebuilds of the preset were measured',
    schema: duration(1000),
  },
  lifecycleInterval: {
    env: 'PREBUILD_CONTROLLER_LIFECYCLE_INTERVAL',
    arg: 'duration',
    default: '1m',
    description: 'period of the lifecycle scheduler tick',
    schema: duration(100),
  },
  lifecycleJobTimeout: {
    env: 'PREBUILD_CONTROLLER_LIFECYCLE_JOB_TIMEOUT',
    arg: 'duration',
    default: '5m',
    description:
      'a lifecycle job started this long ago and never finished (its executor died) is failed, so the next tick can decide again',
    schema: duration(1000),
  },
  lifecycleJobRetention: {
    env: 'PREBUILD_CONTROLLER_LIFECYCLE_JOB_RETENTION',
    arg: 'duration',
    default: '30d',
    description: 'finished lifecycle jobs and their logs are deleted after this long',
    schema: duration(60_000),
  },
  jobPollInterval: {
    env: 'PREBUILD_CONTROLLER_JOB_POLL_INTERVAL',
    arg: 'duration',
    default: '30s',
    description: 'backup poll of the job acquirer (NOTIFY wakes it sooner)',
    schema: duration(10),
  },
  provisioner: {
    env: 'PREBUILD_CONTROLLER_PROVISIONER',
    arg: 'name',
    default: 'echo',
    description: 'in-process provisioner daemon: echo, exec, or none',
    schema: oneOf(['echo', 'exec', 'none'] as const),
  },
  echoDuration: {
    env: 'PREBUILD_CONTROLLER_ECHO_DURATION',
    arg: 'duration',
    default: '2s',
    description: 'how long an echo build takes',
    schema: duration(0),
  },
  execCommand: {
    env: 'PREBUILD_CONTROLLER_EXEC_COMMAND',
    arg: 'command',
    description: 'command run by the exec provisioner (templates may set their own)',
    schema: nonEmpty,
  },
  provisionerConcurrency: {
    env: 'PREBUILD_CONTROLLER_PROVISIONER_CONCURRENCY',
    arg: 'n',
    default: '4',
    description: 'how many jobs a provisioner daemon runs at once',
    schema: integer(1, 1000),
  },
  provisionerTags: {
    env: 'PREBUILD_CONTROLLER_PROVISIONER_TAGS',
    arg: 'k=v,...',
    description:
      'tags of the provisioner daemon (it takes jobs whose tags it all holds; unset = untagged jobs only)',
    schema: tagList,
  },
  provisionerName: {
    env: 'PREBUILD_CONTROLLER_PROVISIONER_NAME',
    arg: 'name',
    description: 'name the daemon registers under in provisioner_daemons (default: <host>-<pid>)',
    schema: nonEmpty,
  },
  echoFailureRate: {
    env: 'PREBUILD_CONTROLLER_ECHO_FAILURE_RATE',
    arg: 'fraction',
    default: '0',
    description: 'share of echo builds that fail, 0 to 1 (deterministic per job with the seed)',
    schema: fraction,
  },
  echoSeed: {
    env: 'PREBUILD_CONTROLLER_ECHO_SEED',
    arg: 'text',
    default: 'echo',
    description: 'seed that decides which echo builds fail',
    schema: nonEmpty,
  },
  echoAgentReadyDelay: {
    env: 'PREBUILD_CONTROLLER_ECHO_AGENT_READY_DELAY',
    arg: 'duration',
    default: '0s',
    description: 'echo agents are recorded "starting" and become "ready" after this delay',
    schema: duration(0),
  },
  execTimeout: {
    env: 'PREBUILD_CONTROLLER_EXEC_TIMEOUT',
    arg: 'duration',
    default: '30m',
    description: 'exec commands running longer are killed with their process group',
    schema: duration(100),
  },
  jobHeartbeatInterval: {
    env: 'PREBUILD_CONTROLLER_JOB_HEARTBEAT_INTERVAL',
    arg: 'duration',
    default: '5s',
    description: 'how often a daemon heartbeats its running jobs (and notices cancellation)',
    schema: duration(10),
  },
  jobReaperTimeout: {
    env: 'PREBUILD_CONTROLLER_JOB_REAPER_TIMEOUT',
    arg: 'duration',
    default: '5m',
    description: 'running jobs without a heartbeat for this long are failed by the reaper',
    schema: duration(100),
  },
  notificationsWebhook: {
    env: 'PREBUILD_CONTROLLER_NOTIFICATIONS_WEBHOOK',
    arg: 'url',
    description: 'webhook that receives notifications as JSON POSTs; unset = log them',
    schema: httpUrl,
  },
  quietHoursDefaultSchedule: {
    env: 'PREBUILD_CONTROLLER_QUIET_HOURS_DEFAULT_SCHEDULE',
    arg: 'cron',
    default: 'CRON_TZ=UTC 0 0 * * *',
    description:
      'quiet hours of users who set none (daily "CRON_TZ=<zone> <minute> <hour> * * *"): when template autostop requirements stop workspaces',
    schema: quietHoursSchedule,
  },
  autostopReminderActiveWindow: {
    env: 'PREBUILD_CONTROLLER_AUTOSTOP_REMINDER_ACTIVE_WINDOW',
    arg: 'duration',
    default: '15m',
    description:
      'no autostop reminder for a user active this recently when activity bumps would move the deadline anyway',
    schema: duration(0),
  },
  notificationDispatchInterval: {
    env: 'PREBUILD_CONTROLLER_NOTIFICATION_DISPATCH_INTERVAL',
    arg: 'duration',
    default: '5s',
    description: 'backup poll of the notification dispatcher (an enqueue wakes it sooner)',
    schema: duration(10),
  },
  notificationMaxAttempts: {
    env: 'PREBUILD_CONTROLLER_NOTIFICATION_MAX_ATTEMPTS',
    arg: 'count',
    default: '5',
    description: 'delivery attempts per notification before it is marked permanent_failure',
    schema: integer(1, 100),
  },
  notificationRetryBackoff: {
    env: 'PREBUILD_CONTROLLER_NOTIFICATION_RETRY_BACKOFF',
    arg: 'duration',
    default: '30s',
    description: 'wait after the first failed delivery; doubles after each further failure',
    schema: duration(0),
  },
  notificationRetryBackoffMax: {
    env: 'PREBUILD_CONTROLLER_NOTIFICATION_RETRY_BACKOFF_MAX',
    arg: 'duration',
    default: '1h',
    description: 'longest wait between two delivery attempts',
    schema: duration(0),
  },
  notificationWebhookTimeout: {
    env: 'PREBUILD_CONTROLLER_NOTIFICATION_WEBHOOK_TIMEOUT',
    arg: 'duration',
    default: '10s',
    description: 'a webhook delivery attempt taking longer counts as failed',
    schema: duration(100),
  },
  notificationLease: {
    env: 'PREBUILD_CONTROLLER_NOTIFICATION_LEASE',
    arg: 'duration',
    default: '1m',
    description:
      'how long a dispatcher owns the messages it leased (at least twice the webhook timeout); then another replica may take over',
    schema: duration(1000),
  },
  notificationRetention: {
    env: 'PREBUILD_CONTROLLER_NOTIFICATION_RETENTION',
    arg: 'duration',
    default: '7d',
    description: 'sent and failed notification messages are deleted after this long',
    schema: duration(86_400_000),
  },
  shutdownTimeout: {
    env: 'PREBUILD_CONTROLLER_SHUTDOWN_TIMEOUT',
    arg: 'duration',
    default: '30s',
    description: 'on SIGTERM, how long running work may take before it is interrupted',
    schema: duration(0),
  },
  logLevel: {
    env: 'LOG_LEVEL',
    arg: 'level',
    default: 'info',
    description: `log level: ${LOG_LEVELS.join(', ')}`,
    schema: oneOf(LOG_LEVELS),
  },
} as const satisfies Record<string, SettingDefinition>;

export type SettingKey = keyof typeof SETTINGS;
type Parsed<K extends SettingKey> = z.output<(typeof SETTINGS)[K]['schema']>;

/** The typed configuration: a setting without a default and without a value is undefined. */
export type Config = {
  readonly [K in SettingKey]: (typeof SETTINGS)[K] extends { default: string }
    ? Parsed<K>
    : Parsed<K> | undefined;
};

export function flagName(key: string): string {
  return '--' + key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}
