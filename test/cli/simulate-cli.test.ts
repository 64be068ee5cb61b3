import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { runCli } from '../helpers/cli.js';

// Trace mode needs no database: these runs get none (runCli drops DATABASE_URL).
const dir = mkdtempSync(join(tmpdir(), 'pc-simulate-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const simulate = (args: string[]) => runCli(['prebuilds', 'simulate', ...args]);

const FIXED = file(
  'fixed.yaml',
  'name: t\npresets:\n  - name: p\n    prebuilds: { instances: 1 }\n  - name: nopool\n',
);
const EXPRESSION = file(
  'expression.yaml',
  "name: t\npresets:\n  - name: p\n    prebuilds:\n      instances: 0\n      autoscaling: { expression: 'misses_5m' }\n",
);
// 00:01 hit (replacement ready at 00:11 with a 10-minute lead time), 00:02 miss, 00:15 hit.
const TRACE = file(
  'trace.csv',
  'user,at,comment\nana,2026-11-23T00:15:00Z,"third, late"\nbo,2026-11-23T01:01:00+01:00,first\n\ncy,2026-11-23T00:02:00Z,second\n',
);

describe('prebuilds simulate --trace', () => {
  it('prints exactly the documented JSON', async () => {
    const run = await simulate([
      '--trace',
      TRACE,
      '--config',
      FIXED,
      '--preset',
      'p',
      '--lead-time',
      '10m',
      '--json',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout);
    expect(json).toEqual({
      preset: 'p',
      from: '2026-11-23T00:00:00.000Z',
      to: '2026-11-23T01:00:00.000Z',
      lead_time_s: 600,
      policy: null,
      attempts: 3,
      hits: 2,
      misses: 1,
      hit_rate: 0.666667,
      prebuild_hours: 1,
      idle_prebuild_hours: 0.667,
      days: [{ date: '2026-11-23', attempts: 3, misses: 1, hit_rate: 0.666667, prebuild_hours: 1 }],
    });
    expect(Object.keys(json)).toEqual([
      'preset',
      'from',
      'to',
      'lead_time_s',
      'policy',
      'attempts',
      'hits',
      'misses',
      'hit_rate',
      'prebuild_hours',
      'idle_prebuild_hours',
      'days',
    ]);
  });

  it('compares two policies on the same demand as {"a", "b"}', async () => {
    const run = await simulate([
      '--trace',
      TRACE,
      '--config',
      FIXED,
      '--compare',
      EXPRESSION,
      '--from',
      '2026-11-23T00:00:00Z',
      '--to',
      '2026-11-24T00:00:00Z',
      '--lead-time',
      '1m',
      '--reconcile-interval',
      '1m',
      '--json',
    ]);
    expect(run.code).toBe(0);
    const { a, b } = JSON.parse(run.stdout);
    expect(a).toMatchObject({ preset: 'p', policy: null, attempts: 3, hits: 3, misses: 0 });
    expect(b).toMatchObject({
      preset: 'p',
      policy: { expression: 'misses_5m' },
      // 00:01 misses (the pool is empty), so the pool asks for 1, ready at 00:02 in time for the
      // second attempt; the 5-minute window forgets the miss, and 00:15 misses again.
      attempts: 3,
      hits: 1,
      misses: 2,
    });
    expect(a.days).toHaveLength(1);
    expect(b.prebuild_hours).toBeGreaterThan(0);
  });

  it('prints a summary and one row per day, and draws the chart', async () => {
    const svg = join(dir, 'chart.svg');
    const run = await simulate([
      '--trace',
      TRACE,
      '--config',
      FIXED,
      '--to',
      '2026-11-25T00:00:00Z',
      '--svg',
      svg,
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('preset p from');
    // The default lead time (2 minutes): the 00:02 attempt finds the pool still replenishing.
    expect(run.stdout).toContain(
      'simulated 2026-11-23T00:00:00.000Z to 2026-11-25T00:00:00.000Z, lead time 2m',
    );
    expect(run.stdout).toContain('attempts 3, hits 2, misses 1, hit rate 66.7%');
    expect(run.stdout).toMatch(/2026-11-23\s+3\s+1\s+66\.7%\s+24\.0/);
    expect(run.stdout).toMatch(/2026-11-24\s+0\s+0\s+-\s+24\.0/);
    expect(run.stdout).toContain(`chart written to ${svg}`);
    const chart = readFileSync(svg, 'utf8');
    expect(chart.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(chart).toContain('preset p: demand, target and eligible prebuilds');
  });

  it.each([
    [
      'a malformed trace line',
      ['bad.csv', 'at\n2026-11-23T00:00:00Z\n2026-11-23T25:00:00Z\n'],
      /bad\.csv:3: "2026-11-23T25:00:00Z" is not a valid instant \(hour 25\)\n$/,
    ],
    [
      'an instant without a zone',
      ['nozone.csv', 'at\n2026-11-23T00:00:00\n'],
      /nozone\.csv:2: "2026-11-23T00:00:00" has no time zone: add Z or an offset/,
    ],
    [
      'a missing at column',
      ['noat.csv', 'time,user\n2026-11-23T00:00:00Z,a\n'],
      /noat\.csv:1: the header line needs an "at" column .*\(columns: time, user\)/,
    ],
    [
      'a short row',
      ['short.csv', 'user,at\nana\n'],
      /short\.csv:2: has 1 column; "at" is column 2/,
    ],
  ])('rejects %s with FILE:LINE and exit 1', async (_, [name, text], message) => {
    const path = file(name as string, text as string);
    const run = await simulate(['--trace', path, '--config', FIXED, '--preset', 'p']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(message);
  });

  it.each([
    [['--preset', 'nope'], 1, /fixed\.yaml: no preset "nope" \(presets: p, nopool\)/],
    [['--preset', 'nopool'], 1, /preset "nopool" has no prebuilds/],
    [['--from', 'yesterday'], 2, /--from: "yesterday" is not an ISO-8601 instant/],
    [['--lead-time', 'soon'], 2, /--lead-time "soon" must be a duration/],
    [['--from', '2026-11-24T00:00:00Z', '--to', '2026-11-23T00:00:00Z'], 1, /the range is empty/],
    [['--reconcile-interval', 'often'], 2, /--reconcile-interval/],
  ])('rejects %j', async (extra, code, message) => {
    const run = await simulate(['--trace', TRACE, '--config', FIXED, ...extra]);
    expect(run.code).toBe(code);
    expect(run.stderr).toMatch(message);
  });

  it('names what is missing', async () => {
    expect((await simulate(['--trace', TRACE])).stderr).toMatch(/--trace needs --config FILE/);
    const none = await simulate([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/say what demand to replay: --trace FILE --config FILE/);
    const missing = await simulate(['--trace', join(dir, 'absent.csv'), '--config', FIXED]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read .*absent\.csv: no such file/);
  });

  it('the database mode needs --preset, and not --trace with it', async () => {
    const run = await simulate(['--template', 'dev-env']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--template needs --preset P/);
    const both = await simulate(['--template', 'dev-env', '--preset', 'p', '--trace', TRACE]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/either --trace .* or --template/);
  });
});

describe('the documented examples', () => {
  const examples = new URL('../../examples/', import.meta.url).pathname;

  it('replay the sample trace against both example policies', async () => {
    const svg = join(dir, 'examples.svg');
    const run = await simulate([
      '--trace',
      join(examples, 'claims-trace.csv'),
      '--config',
      join(examples, 'autoscaling-expression.yaml'),
      '--compare',
      join(examples, 'autoscaling-forecast.yaml'),
      '--preset',
      'us-nix',
      '--json',
      '--svg',
      svg,
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const { a, b } = JSON.parse(run.stdout);
    expect(a.attempts).toBe(b.attempts);
    expect(a.attempts).toBeGreaterThan(1000);
    expect(a.days).toHaveLength(14);
    expect(b.hit_rate).toBeGreaterThan(0.9);
    expect(existsSync(svg)).toBe(true);
  });
});
