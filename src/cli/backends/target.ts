import { readFileSync } from 'node:fs';

import type { Command } from 'commander';

import { CliError } from '../errors.js';

/** Where the CLI sends API commands: the controller's base URL and the token, if any. */
export interface ApiTarget {
  readonly url: string;
  readonly token: string | undefined;
}

export const URL_ENV = 'PREBUILD_CONTROLLER_URL';
export const TOKEN_ENV = 'PREBUILD_CONTROLLER_TOKEN';
export const TOKEN_FILE_ENV = 'PREBUILD_CONTROLLER_TOKEN_FILE';

/** Adds --url, --token and --token-file to a command that has an API equivalent. */
export function addApiOptions(command: Command): Command {
  return command
    .option(
      '--url <url>',
      `controller to talk to over HTTP, e.g. http://127.0.0.1:8080 (env ${URL_ENV}); unset = the database`,
    )
    .option('--token <token>', `API token (env ${TOKEN_ENV})`)
    .option('--token-file <path>', `read the API token from this file (env ${TOKEN_FILE_ENV})`);
}

function readToken(path: string, source: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(`${source}: cannot read ${path}: ${(error as Error).message}`, 2);
  }
  const token = text.trim();
  if (token === '') throw new CliError(`${source}: ${path} is empty`, 2);
  return token;
}

const nonEmpty = (value: unknown): value is string => typeof value === 'string' && value !== '';

/**
 * The API target of a command, or undefined for the database. The URL: --url, else
 * PREBUILD_CONTROLLER_URL. The token (first found): --token, --token-file,
 * PREBUILD_CONTROLLER_TOKEN, PREBUILD_CONTROLLER_TOKEN_FILE; none = no Authorization header.
 */
export function apiTarget(
  flags: Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
): ApiTarget | undefined {
  const raw = nonEmpty(flags.url) ? flags.url : env[URL_ENV];
  if (!nonEmpty(raw)) return undefined;
  const source = nonEmpty(flags.url) ? '--url' : URL_ENV;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`${source}: "${raw}" is not a URL (example: http://127.0.0.1:8080)`, 2);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(`${source}: "${raw}" must be an http:// or https:// URL`, 2);
  }
  if (nonEmpty(flags.token) && nonEmpty(flags.tokenFile)) {
    throw new CliError('--token and --token-file: give one of them', 2);
  }
  const token = nonEmpty(flags.token)
    ? flags.token
    : nonEmpty(flags.tokenFile)
      ? readToken(flags.tokenFile, '--token-file')
      : nonEmpty(env[TOKEN_ENV])
        ? env[TOKEN_ENV]
        : nonEmpty(env[TOKEN_FILE_ENV])
          ? readToken(env[TOKEN_FILE_ENV], TOKEN_FILE_ENV)
          : undefined;
  return { url: url.toString().replace(/\/+$/, ''), token };
}
