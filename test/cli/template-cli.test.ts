import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { useTestDatabase } from '../helpers/db.js';
import { EXAMPLE_PATH, exampleNamed, templateRowCounts } from '../templates/helpers.js';

const BIN = new URL('../../bin/prebuild-controller.js', import.meta.url).pathname;
const db = useTestDatabase();
const dir = mkdtempSync(join(tmpdir(), 'pc-template-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (npm test builds dist/ first) against this file's database. */
function cli(args: string[], stdin?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, DATABASE_URL: db.url, LOG_LEVEL: 'warn' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const INVALID = exampleNamed('broken', [
  ["- { cron: '* 8-18 * * 1-5', instances: 3 }", "- { cron: '0 8-18 * * 1-5', instances: 3 }"],
  ['timezone: Europe/Berlin', 'timezone: Europe/Berlinn'],
  ['instances: 1\n', 'instances: -1\n'],
]);

describe('template validate', () => {
  it('accepts the example (exit 0)', async () => {
    const run = await cli(['template', 'validate', EXAMPLE_PATH]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toBe(
      `${EXAMPLE_PATH} is valid: template default/dev-env, 3 preset(s), 2 with prebuilds\n`,
    );
  });

  it('prints every problem as "path: message" and exits 1', async () => {
    const path = file('invalid.yaml', INVALID);
    const run = await cli(['template', 'validate', path]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.split('\n')).toEqual([
      'presets[0].prebuilds.scheduling.schedule[0].cron: minute field must be "*"',
      'presets[1].prebuilds.instances: must be at least 0',
      'presets[1].prebuilds.scheduling.timezone: "Europe/Berlinn" is not an IANA time zone (examples: UTC, Europe/Berlin, America/New_York)',
      `prebuild-controller: ${path}: 3 problems, not valid`,
      '',
    ]);
  });

  it('refuses a JSON file with a __proto__ key instead of dropping it silently', async () => {
    const path = file(
      'proto.json',
      '{"name":"x","presets":[{"name":"p","__proto__":{"default":true}}]}',
    );
    const run = await cli(['template', 'validate', path]);
    expect(run.code).toBe(1);
    expect(run.stderr.split('\n')[0]).toBe(
      'presets[0].__proto__: a "__proto__" key is not allowed (at presets[0].__proto__): it could change the prototype of the parsed object; rename or remove it',
    );
  });

  it('--json prints the issues or the normalised config', async () => {
    const bad = await cli(['template', 'validate', '--json', file('invalid.yaml', INVALID)]);
    expect(bad.code).toBe(1);
    const badResult = JSON.parse(bad.stdout) as { valid: boolean; issues: unknown[] };
    expect(badResult.valid).toBe(false);
    expect(badResult.issues).toHaveLength(3);
    const good = await cli(['template', 'validate', '--json', EXAMPLE_PATH]);
    expect(good.code).toBe(0);
    const goodResult = JSON.parse(good.stdout) as {
      valid: boolean;
      content_hash: string;
      config: { name: string; organization: string };
    };
    expect(goodResult.valid).toBe(true);
    expect(goodResult.content_hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(goodResult.config).toMatchObject({ name: 'dev-env', organization: 'default' });
  });

  it('reads standard input with -', async () => {
    const run = await cli(['template', 'validate', '-'], 'name: from-stdin\n');
    expect(run).toMatchObject({
      code: 0,
      stdout: '- is valid: template default/from-stdin, 0 preset(s), 0 with prebuilds\n',
    });
  });

  it('exits 2 for usage errors', async () => {
    const missing = await cli(['template', 'validate', join(dir, 'nope.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      `prebuild-controller: cannot read ${join(dir, 'nope.yaml')}: no such file\n`,
    );
    expect((await cli(['template', 'validate'])).code).toBe(2);
    expect((await cli(['template', 'push', EXAMPLE_PATH, '--bogus'])).code).toBe(2);
  });
});

describe('template push and list', () => {
  it('pushes, then reports an identical push as unchanged', async () => {
    const first = await cli(['template', 'push', EXAMPLE_PATH]);
    expect(first).toMatchObject({
      code: 0,
      stdout: 'created template default/dev-env; version v1 is active\n',
    });
    const second = await cli(['template', 'push', EXAMPLE_PATH]);
    expect(second).toMatchObject({
      code: 0,
      stdout:
        'default/dev-env is unchanged: the active version v1 has the same content (nothing written)\n',
    });
    const json = await cli(['template', 'push', '--json', EXAMPLE_PATH]);
    expect(JSON.parse(json.stdout)).toMatchObject({ changed: false, version: { name: 'v1' } });
  });

  it('--dry-run prints what would change and writes nothing', async () => {
    const before = await templateRowCounts(db.pool);
    const changed = file(
      'changed.yaml',
      readFileSync(EXAMPLE_PATH, 'utf8').replace('failure_ttl: 24h', 'failure_ttl: 12h'),
    );
    const run = await cli(['template', 'push', '--dry-run', changed]);
    expect(run).toMatchObject({
      code: 0,
      stdout:
        'would push default/dev-env as version v2 and make it active\n  ~ lifecycle.failure_ttl: "1d" -> "12h"\n',
    });
    expect(await templateRowCounts(db.pool)).toEqual(before);
  });

  it('an invalid file exits 1 and changes nothing', async () => {
    const before = await templateRowCounts(db.pool);
    const run = await cli(['template', 'push', file('invalid.yaml', INVALID)]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'presets[0].prebuilds.scheduling.schedule[0].cron: minute field must be "*"\n',
    );
    expect(run.stderr).toContain('3 problems, nothing was pushed');
    expect(await templateRowCounts(db.pool)).toEqual(before);
  });

  it('lists templates for people and as JSON', async () => {
    const human = await cli(['template', 'list']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^default\/dev-env {2}active v1 \(.+\) {2}provisioner echo\n/);
    expect(human.stdout).toContain(
      '  us-nix (default)  instances 0; ttl 86400s; America/New_York: "* 8-18 * * 1-5" -> 3, "* 8-14 * * 6" -> 1; desired now ',
    );
    expect(human.stdout).toMatch(/ {2}gpu {15}no prebuilds\n/);
    const json = await cli(['template', 'list', '--json']);
    const { templates } = JSON.parse(json.stdout) as {
      templates: { name: string; presets: unknown[] }[];
    };
    expect(templates).toHaveLength(1);
    expect(templates[0]).toMatchObject({ name: 'dev-env', active_version: { name: 'v1' } });
    expect(templates[0]?.presets).toHaveLength(3);
  });

  it('template schema prints the committed JSON Schema', async () => {
    const run = await cli(['template', 'schema']);
    const committed = readFileSync(
      new URL('../../schema/template-config.schema.json', import.meta.url),
      'utf8',
    );
    expect(run).toMatchObject({ code: 0, stdout: committed });
  });
});

describe('schedule preview', () => {
  const SMALL = `
name: preview
presets:
  - name: us-nix
    prebuilds:
      instances: 0
      scheduling:
        timezone: UTC
        schedule: [{ cron: "* 8-18 * * 1-5", instances: 3 }]
  - name: kathmandu
    prebuilds:
      instances: 1
      scheduling:
        timezone: Asia/Kathmandu
        schedule: [{ cron: "* 14 * * *", instances: 5 }]
  - name: fixed
    prebuilds: { instances: 2 }
  - name: none
`;

  it('--json prints one point per step for every preset with prebuilds', async () => {
    const run = await cli([
      'schedule',
      'preview',
      file('preview.yaml', SMALL),
      '--from',
      '2026-11-23T07:00:00Z',
      '--to',
      '2026-11-23T09:00:00.000Z',
      '--step',
      '30m',
      '--json',
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      JSON.stringify({
        presets: [
          {
            name: 'us-nix',
            timezone: 'UTC',
            points: [
              { at: '2026-11-23T07:00:00.000Z', desired: 0 },
              { at: '2026-11-23T07:30:00.000Z', desired: 0 },
              { at: '2026-11-23T08:00:00.000Z', desired: 3 },
              { at: '2026-11-23T08:30:00.000Z', desired: 3 },
            ],
          },
          {
            name: 'kathmandu',
            timezone: 'Asia/Kathmandu',
            points: [
              { at: '2026-11-23T07:00:00.000Z', desired: 1 },
              { at: '2026-11-23T07:30:00.000Z', desired: 1 },
              // 14:00 in Kathmandu is 08:15 UTC.
              { at: '2026-11-23T08:00:00.000Z', desired: 1 },
              { at: '2026-11-23T08:30:00.000Z', desired: 5 },
            ],
          },
          {
            name: 'fixed',
            timezone: 'UTC',
            points: [
              { at: '2026-11-23T07:00:00.000Z', desired: 2 },
              { at: '2026-11-23T07:30:00.000Z', desired: 2 },
              { at: '2026-11-23T08:00:00.000Z', desired: 2 },
              { at: '2026-11-23T08:30:00.000Z', desired: 2 },
            ],
          },
        ],
      }) + '\n',
    );
  });

  it('defaults to 7 days of hourly points from the current hour', async () => {
    const run = await cli(['schedule', 'preview', EXAMPLE_PATH, '--json']);
    expect(run.code).toBe(0);
    const { presets } = JSON.parse(run.stdout) as { presets: { points: { at: string }[] }[] };
    const points = presets[0]?.points ?? [];
    expect(points).toHaveLength(168);
    expect(points[0]?.at).toMatch(/T\d{2}:00:00\.000Z$/);
    expect(Date.parse(points[1]?.at ?? '') - Date.parse(points[0]?.at ?? '')).toBe(3_600_000);
  });

  it('prints a compact table per preset', async () => {
    const run = await cli([
      'schedule',
      'preview',
      file('preview.yaml', SMALL),
      '--from',
      '2026-11-23T00:00:00Z',
      '--to',
      '2026-11-24T00:00:00Z',
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('preset us-nix (timezone UTC; 0 when no schedule matches)\n');
    expect(run.stdout).toContain(
      '  Mon 2026-11-23 08:00 +00:00  Mon 2026-11-23 19:00 +00:00  3        * 8-18 * * 1-5\n',
    );
    expect(run.stdout).toContain(
      '  Mon 2026-11-23 05:45 +05:45  Mon 2026-11-23 14:45 +05:45  1        -\n',
    );
    expect(run.stdout).not.toContain('preset none');
  });

  it('exits 1 for an invalid file and 2 for bad options', async () => {
    const invalid = await cli(['schedule', 'preview', file('invalid.yaml', INVALID)]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('minute field must be "*"');
    const badFrom = await cli(['schedule', 'preview', EXAMPLE_PATH, '--from', 'yesterday']);
    expect(badFrom).toMatchObject({ code: 2 });
    expect(badFrom.stderr).toContain('--from "yesterday" is not an ISO-8601 date-time');
    const backwards = await cli([
      'schedule',
      'preview',
      EXAMPLE_PATH,
      '--from',
      '2026-01-02T00:00:00Z',
      '--to',
      '2026-01-01T00:00:00Z',
    ]);
    expect(backwards.code).toBe(2);
    expect((await cli(['schedule', 'preview', EXAMPLE_PATH, '--step', 'often'])).code).toBe(2);
  });
});
