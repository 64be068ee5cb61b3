import { z } from 'zod';

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
  lifecycleInterval: {
    env: 'PREBUILD_CONTROLLER_LIFECYCLE_INTERVAL',
    arg: 'duration',
    default: '1m',
    description: 'period of the lifecycle scheduler tick',
    schema: duration(100),
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
  notificationsWebhook: {
    env: 'PREBUILD_CONTROLLER_NOTIFICATIONS_WEBHOOK',
    arg: 'url',
    description: 'webhook that receives notifications as JSON POSTs; unset = log them',
    schema: httpUrl,
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
