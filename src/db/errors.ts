import { formatDuration } from '../util/duration.js';

/** PostgreSQL error codes the controller reacts to. */
export const PG = {
  uniqueViolation: '23505',
  foreignKeyViolation: '23503',
  checkViolation: '23514',
  serializationFailure: '40001',
  deadlockDetected: '40P01',
  undefinedTable: '42P01',
  lockNotAvailable: '55P03',
  adminShutdown: '57P01',
} as const;

interface WithCode {
  code?: unknown;
  constraint?: unknown;
  cause?: unknown;
}

/** The PostgreSQL SQLSTATE of an error, looking through slonik's wrappers (`cause`). */
export function pgErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const { code, cause } = current as WithCode;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    current = cause;
  }
  return undefined;
}

/** The violated constraint's name, when PostgreSQL reported one. */
export function pgConstraint(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const { constraint, cause } = current as WithCode;
    if (typeof constraint === 'string') return constraint;
    current = cause;
  }
  return undefined;
}

export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  return (
    pgErrorCode(error) === PG.uniqueViolation &&
    (constraint === undefined || pgConstraint(error) === constraint)
  );
}

/** The database could not be reached; says where (password masked) and why. */
export class DatabaseConnectError extends Error {
  override readonly name = 'DatabaseConnectError';
  constructor(url: string, cause: unknown, timeoutMs?: number) {
    super(
      `cannot connect to PostgreSQL at ${maskPassword(url)}: ${connectReason(cause, timeoutMs)}`,
      {
        cause,
      },
    );
  }
}

/** Why a connection failed, in words: pg's timeout messages do not say how long was waited. */
function connectReason(cause: unknown, timeoutMs: number | undefined): string {
  const message = cause instanceof Error ? cause.message : String(cause);
  const code = (cause as { code?: unknown } | null)?.code;
  const withCode =
    typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message;
  if (timeoutMs !== undefined && /timeout/i.test(message)) {
    return `no answer within ${formatDuration(timeoutMs)} (${withCode})`;
  }
  return withCode;
}

export function maskPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<invalid url>';
  }
}
