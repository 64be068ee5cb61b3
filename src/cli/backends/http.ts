import { AppError } from '../../http/errors.js';
import { CliError } from '../errors.js';
import type { ApiTarget } from './target.js';

// What Date#toISOString writes.
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function revive(_key: string, value: unknown): unknown {
  return typeof value === 'string' && INSTANT.test(value) ? new Date(value) : value;
}

export interface RequestOptions {
  readonly query?: Record<string, string | number | undefined>;
  /** A JSON body. */
  readonly json?: unknown;
  /** A text body with its content type (a template config as YAML). */
  readonly text?: { readonly body: string; readonly contentType: string };
}

/** The answer of a request: its status and its JSON body, instants as Dates. */
export interface ApiAnswer<T> {
  readonly status: number;
  readonly body: T;
}

/**
 * Calls /api/v1 of a controller. An error answer `{code, message, details}` is thrown as the
 * AppError the controller raised, so the CLI prints it as the same one line as in database mode.
 */
export class ApiClient {
  /**
   * `dates`: instants in answers become Dates, for areas whose database functions return Dates
   * (the API writes them as ISO text); elsewhere the database side writes the same text itself.
   */
  constructor(
    private readonly target: ApiTarget,
    private readonly options: { readonly dates?: boolean } = {},
  ) {}

  async call<T>(method: string, path: string, options: RequestOptions = {}): Promise<ApiAnswer<T>> {
    const url = new URL(`${this.target.url}/api/v1${path}`);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.target.token !== undefined) headers.authorization = `Bearer ${this.target.token}`;
    let body: string | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.text) {
      headers['content-type'] = options.text.contentType;
      body = options.text.body;
    }
    let response: Response;
    try {
      response = await fetch(url, { method, headers, ...(body !== undefined ? { body } : {}) });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(
        `cannot reach the controller at ${this.target.url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
        1,
      );
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text, this.options.dates ? revive : undefined);
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      const error = parsed as
        | { code?: string; message?: string; details?: { path: string; message: string }[] }
        | undefined;
      throw new AppError(
        response.status,
        error?.code ?? 'http_error',
        error?.message ?? `${method} ${url.pathname} answered ${response.status}`,
        error?.details ?? [],
      );
    }
    return { status: response.status, body: parsed as T };
  }

  async get<T>(path: string, query?: RequestOptions['query']): Promise<T> {
    return (await this.call<T>('GET', path, query ? { query } : {})).body;
  }

  async send<T>(method: 'POST' | 'PUT', path: string, json?: unknown): Promise<T> {
    return (await this.call<T>(method, path, json === undefined ? {} : { json })).body;
  }
}

/** A path segment: ids, and refs such as owner/name, escaped. */
export const segment = (text: string) => encodeURIComponent(text);
