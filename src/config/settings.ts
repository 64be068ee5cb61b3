import { z } from 'zod';

import { parseQuietHours } from '../domain/lifecycle/quiet-hours.js';
import { LOG_LEVELS } from '../log/logger.js';
import { formatDuration, parseDuration } from '../util/duration.js';

/** Longest timer Node.js runs (2^31 - 1 ms, about 24.8 days), rounded down: the default upper bound. */
export const MAX_TIMER_SETTING_MS = 24 * 86_400_000;
/** Upper bound of retention and look-back settings, which only go into SQL: 10 years. */
export const MAX_RETENTION_SETTING_MS = 3650 * 86_400_000;

const duration = (min = 0, max = MAX_TIMER_SETTING_MS) =>
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
    if (ms > max) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `must be at most ${formatDuration(max)}, got "${text}"`,
      });
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

/** An http(s) URL that may carry a secret (a webhook token): errors never repeat it. */
const secretHttpUrl = z.string().transform((text, ctx) => {
  try {
    const url = new URL(text);
    if (url.protocol === 'http:' || url.protocol === 'https:') return text;
  } catch {
    // reported below
  }
  ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'is not an http(s) URL' });
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

/**
 * An API token as clients send it: `Authorization: Bearer <token>`. Surrounding whitespace (the
 * newline a Secret made from a file carries) is trimmed, since no header can carry it; what is
 * left must be an RFC 6750 b64token, or no request could ever present it.
 */
const apiToken = z
  .string()
  .transform((text) => text.trim())
  .pipe(
    z
      .string()
      .min(8, 'must be at least 8 characters (after trimming surrounding whitespace)')
      .regex(
        /^[A-Za-z0-9\-._~+/]+=*$/,
        'cannot be sent as "Authorization: Bearer <token>": use only letters, digits and - . _ ~ + / (then = padding), no spaces or other characters',
      ),
  );

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

/** Command names, as template names: what `exec.command` must look like to name a command. */
export const EXEC_COMMAND_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/**
 * `NAME=COMMAND` values (several joined by NUL, which no argument or variable can contain): a
 * value whose text before the first `=` is a command name defines that name; any other value
 * defines the command named `default`.
 */
export function parseExecCommands(text: string): Record<string, string> | string {
  const commands: Record<string, string> = {};
  for (const value of text.split('\0')) {
    const eq = value.indexOf('=');
    const named = eq > 0 && EXEC_COMMAND_NAME.test(value.slice(0, eq));
    const name = named ? value.slice(0, eq) : 'default';
    const command = named ? value.slice(eq + 1) : value;
    if (command.trim() === '') return `"${value}": the command of ${name} is empty`;
    if (Object.hasOwn(commands, name)) return `the exec command "${name}" is given twice`;
    commands[name] = command;
  }
  return commands;
}

const execCommandList = z.string().transform((text, ctx) => {
  const parsed = parseExecCommands(text);
  if (typeof parsed === 'string') {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: parsed });
    return z.NEVER;
  }
  return parsed;
});

const execCommandJson = z.string().transform((text, ctx) => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message: 'must be a JSON object of name to command, e.g. {"build":"./build.sh"}',
    });
    return z.NEVER;
  }
  const commands: Record<string, string> = {};
  for (const [name, command] of Object.entries(value)) {
    if (!EXEC_COMMAND_NAME.test(name)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `"${name}" is not a command name (1-64 lowercase letters, digits, - and _)`,
      });
      return z.NEVER;
    }
    if (typeof command !== 'string' || command.trim() === '') {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `the command of "${name}" must be a non-empty string`,
      });
      return z.NEVER;
    }
    commands[name] = command;
  }
  return commands;
});

/** Variable names that are the controller's secrets: never passed to an exec command. */
export function isControllerSecret(name: string): boolean {
  return name.startsWith('DATABASE_URL') || name.startsWith('PREBUILD_CONTROLLER_');
}

const execEnvList = z.string().transform((text, ctx) => {
  const names = text
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  for (const name of names) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*\*?$/.test(name)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `"${name}" must be a variable name or a prefix ending in * (KUBECONFIG, AWS_*)`,
      });
      return z.NEVER;
    }
    if (isControllerSecret(name.replace(/\*$/, ''))) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `"${name}" would pass the controller's secrets (DATABASE_URL, PREBUILD_CONTROLLER_*); exec commands never get them`,
      });
      return z.NEVER;
    }
  }
  return names;
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
  /** The flag may be given several times; the values reach the schema joined by NUL. */
  readonly repeatable?: boolean;
  /** The flag may be given without a value, meaning this one (`--flag` = `--flag true`). */
  readonly bare?: string;
  readonly schema: z.ZodType<unknown, z.ZodTypeDef, string>;
  /**
   * For secrets: a second variable naming a file that holds the value (a Kubernetes Secret
   * mount), read at start and trimmed. Setting both variables is an error.
   */
  readonly fileEnv?: string;
}

/**
 * Every setting of the controller: one environment variable and one flag each (the flag is the
 * kebab-case key). Durations accept 500ms, 15s, 1m, 2h, 7d.
 */
export const SETTINGS = {
  databaseUrl: {
    env: 'DATABASE_URL',
    fileEnv: 'DATABASE_URL_FILE',
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
  databasePoolIdleTimeout: {
    env: 'PREBUILD_CONTROLLER_DATABASE_POOL_IDLE_TIMEOUT',
    arg: 'duration',
    default: '5m',
    description:
      'a pool connection idle this long is closed (0 = kept until shutdown); a new connection costs PostgreSQL about 20 ms of CPU before its first query runs at full speed',
    schema: duration(0),
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
    fileEnv: 'PREBUILD_CONTROLLER_API_TOKEN_FILE',
    arg: 'token',
    description:
      'bootstrap bearer token for /api/v1 with role admin (more tokens: `tokens create`); surrounding whitespace, such as the newline of a file, is trimmed; unset = requests without a token are answered on loopback only',
    schema: apiToken,
  },
  insecureNoToken: {
    env: 'PREBUILD_CONTROLLER_INSECURE_NO_TOKEN',
    arg: 'true|false',
    default: 'false',
    bare: 'true',
    description:
      'let `run` listen beyond loopback without PREBUILD_CONTROLLER_API_TOKEN (refused otherwise, exit code 2); requests without a token are still answered on loopback only',
    schema: boolean,
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
    schema: duration(0, MAX_RETENTION_SETTING_MS),
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
    schema: duration(0, MAX_RETENTION_SETTING_MS),
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
  heapGrowthPercent: {
    env: 'PREBUILD_CONTROLLER_HEAP_GROWTH_PERCENT',
    arg: 'percent',
    default: '50',
    description:
      "run only: how far the V8 heap may grow past its live data before a full garbage collection, in percent (0 = V8's own rule, which lets it grow 1.1 to 4 times); lower = less memory, more CPU",
    schema: integer(0, 1000),
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
  claimHistoryRetention: {
    env: 'PREBUILD_CONTROLLER_CLAIM_HISTORY_RETENTION',
    arg: 'duration',
    default: '35d',
    description:
      "recorded claim attempts (the autoscaler's demand history, hits and misses) are deleted after this long, in batches; keep it above the longest forecast history",
    schema: duration(3_600_000, MAX_RETENTION_SETTING_MS),
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
    schema: duration(60_000, MAX_RETENTION_SETTING_MS),
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
    arg: 'name=command',
    repeatable: true,
    description:
      'a named command of the exec provisioner, repeatable (--exec-command build=./build.sh); templates pick one by name in exec.command; a value without NAME= defines the command named default, which templates without exec.command run',
    schema: execCommandList,
  },
  execCommands: {
    env: 'PREBUILD_CONTROLLER_EXEC_COMMANDS',
    arg: 'json',
    description:
      'named commands of the exec provisioner as a JSON object, e.g. {"build":"./build.sh","default":"./build.sh"} (adds to --exec-command; a name given twice is an error)',
    schema: execCommandJson,
  },
  execAllowTemplateCommands: {
    env: 'PREBUILD_CONTROLLER_EXEC_ALLOW_TEMPLATE_COMMANDS',
    arg: 'true|false',
    bare: 'true',
    default: 'false',
    description:
      'also run a literal command written in a template (exec.command that is not a name), if an admin token pushed it; off = only the named commands run',
    schema: boolean,
  },
  execUser: {
    env: 'PREBUILD_CONTROLLER_EXEC_USER',
    arg: 'user',
    description:
      "user that exec commands run as: a name, uid or uid:gid (unset = nobody when the daemon runs as root, else the daemon's own user; switching needs root)",
    schema: nonEmpty,
  },
  execEnv: {
    env: 'PREBUILD_CONTROLLER_EXEC_ENV',
    arg: 'NAME,...',
    description:
      'more environment variables exec commands inherit, comma-separated (NAME or PREFIX*), on top of PATH, HOME, USER, LOGNAME, LANG, LANGUAGE, LC_*, TZ and TMPDIR; DATABASE_URL and PREBUILD_CONTROLLER_* never pass',
    schema: execEnvList,
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
    fileEnv: 'PREBUILD_CONTROLLER_NOTIFICATIONS_WEBHOOK_FILE',
    arg: 'url',
    description: 'webhook that receives notifications as JSON POSTs; unset = log them',
    schema: secretHttpUrl,
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
    schema: duration(0, MAX_RETENTION_SETTING_MS),
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
    schema: duration(86_400_000, MAX_RETENTION_SETTING_MS),
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
