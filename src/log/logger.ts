import { type DestinationStream, type Logger as PinoLogger, pino } from 'pino';
import pretty from 'pino-pretty';

export type Logger = PinoLogger;

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  readonly level: LogLevel;
  /** File descriptor to write to: 1 for long-running services, 2 for one-shot CLI commands. */
  readonly fd?: 1 | 2;
  /** Force JSON or pretty output; by default pretty when the descriptor is a terminal. */
  readonly pretty?: boolean;
  readonly stream?: DestinationStream;
}

/**
 * pino JSON logs; every component logs through `logger.child({ component })`. When a person is
 * watching (the output is a terminal) lines go through pino-pretty instead.
 */
export function createLogger(options: LoggerOptions): Logger {
  const fd = options.fd ?? 1;
  const isTty = fd === 1 ? process.stdout.isTTY : process.stderr.isTTY;
  const usePretty = options.pretty ?? isTty === true;
  const stream =
    options.stream ??
    (usePretty
      ? pretty({ colorize: true, destination: fd, sync: true, ignore: 'pid,hostname' })
      : pino.destination({ dest: fd, sync: true }));
  return pino(
    {
      level: options.level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    stream,
  );
}

/** A logger that drops everything (tests that assert on behaviour, not logs). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
