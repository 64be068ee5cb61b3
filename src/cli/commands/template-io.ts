import { readFile } from 'node:fs/promises';

import type { TemplateConfig } from '../../templates/config-schema.js';
import { formatIssues } from '../../templates/issues.js';
import { type ValidationResult, validateTemplateText } from '../../templates/validate.js';
import { CliError } from '../errors.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The text of a config file (`-` = standard input); an unreadable file is a usage error. */
export async function readConfigText(file: string): Promise<string> {
  try {
    return file === '-' ? await readStdin() : await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory'
          : (error as Error).message;
    throw new CliError(`cannot read ${file}: ${why}`, 2);
  }
}

export async function validateFile(file: string): Promise<ValidationResult> {
  return validateTemplateText(await readConfigText(file));
}

/** The validated config, or every problem on stderr (`path: message` per line) and exit 1. */
export async function loadValidConfig(
  file: string,
  what: string,
  text?: string,
): Promise<TemplateConfig> {
  const result = text === undefined ? await validateFile(file) : validateTemplateText(text);
  if (result.ok) return result.config;
  for (const line of formatIssues(result.issues)) process.stderr.write(line + '\n');
  const count = result.issues.length;
  throw new CliError(`${file}: ${count} problem${count === 1 ? '' : 's'}, ${what}`, 1);
}
