import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';
import YAML from 'yaml';

import { formatIssues } from '../../../src/templates/issues.js';
import { validateTemplateConfig, validateTemplateText } from '../../../src/templates/validate.js';

const EXAMPLE = readFileSync(new URL('../../../examples/dev-env.yaml', import.meta.url), 'utf8');

/** A small valid config; tests change one thing at a time. */
function base(): Record<string, unknown> {
  return {
    name: 'dev-env',
    provisioner: 'echo',
    lifecycle: { default_ttl: '8h' },
    presets: [
      {
        name: 'us-nix',
        default: true,
        parameters: { region: 'us-east' },
        prebuilds: {
          instances: 0,
          expiration_policy: { ttl: 86400 },
          scheduling: {
            timezone: 'UTC',
            schedule: [
              { cron: '* 8-18 * * 1-5', instances: 3 },
              { cron: '* 8-14 * * 6', instances: 1 },
            ],
          },
        },
      },
      { name: 'eu-nix', parameters: { region: 'eu' } },
    ],
  };
}

type Json = Record<string, unknown>;
const preset0 = (config: Json) => (config.presets as Json[])[0] as Json;
const prebuilds0 = (config: Json) => preset0(config).prebuilds as Json;
const scheduling0 = (config: Json) => prebuilds0(config).scheduling as Json;
const schedule0 = (config: Json) => scheduling0(config).schedule as Json[];

function problems(change: (config: Json) => void): string[] {
  const config = base();
  change(config);
  const result = validateTemplateConfig(config);
  return result.ok ? [] : formatIssues(result.issues);
}

describe('valid configs', () => {
  it('accepts the base config and the example file', () => {
    expect(validateTemplateConfig(base()).ok).toBe(true);
    const example = validateTemplateText(EXAMPLE);
    expect(example.ok ? [] : example.issues).toEqual([]);
  });

  it('accepts JSON text as well as YAML', () => {
    expect(validateTemplateText(JSON.stringify(base())).ok).toBe(true);
  });

  it('fills in defaults and normalises', () => {
    const result = validateTemplateText(`
name: x
lifecycle: { default_ttl: 480m, autostart_allowed_days: [friday, monday, friday] }
presets:
  - name: p
    prebuilds:
      instances: 1
      scheduling: { timezone: UTC, schedule: [{ cron: "  *   8-18 * *  1-5 ", instances: 2 }] }
`);
    if (!result.ok) throw new Error(formatIssues(result.issues).join('\n'));
    const { config } = result;
    expect(config.organization).toBe('default');
    expect(config.provisioner).toBe('echo');
    expect(config.lifecycle.default_ttl).toBe('8h');
    expect(config.lifecycle.activity_bump).toBe('1h');
    expect(config.lifecycle.autostart_allowed_days).toEqual(['monday', 'friday']);
    expect(config.lifecycle.allow_user_autostart).toBe(true);
    expect(config.lifecycle.allow_user_autostop).toBe(true);
    expect(config.lifecycle.require_active_version).toBe(false);
    expect(config.presets[0]?.default).toBe(false);
    expect(config.presets[0]?.prebuilds?.expiration_policy.ttl).toBe(0);
    expect(config.presets[0]?.prebuilds?.scheduling?.schedule[0]?.cron).toBe('* 8-18 * * 1-5');
  });

  it('accepts the number 0 for every duration, as the docs write it', () => {
    const result = validateTemplateText(`
name: x
provisioner: exec
exec: { command: /bin/true, timeout: 0 }
lifecycle:
  default_ttl: 0
  activity_bump: 0
  failure_ttl: 0
  time_til_dormant: 0
  time_til_dormant_autodelete: 0
  time_til_autostop_notify: 0
`);
    if (!result.ok) throw new Error(formatIssues(result.issues).join('\n'));
    const { lifecycle, exec } = result.config;
    expect(lifecycle).toMatchObject({
      default_ttl: '0s',
      activity_bump: '0s',
      failure_ttl: '0s',
      time_til_dormant: '0s',
      time_til_dormant_autodelete: '0s',
      time_til_autostop_notify: '0s',
    });
    expect(exec?.timeout).toBe('0s');
  });

  it('accepts every duration at its upper bound', () => {
    expect(
      problems((c) => {
        c.provisioner = 'exec';
        c.exec = { command: '/bin/true', timeout: '7d' };
        c.lifecycle = {
          default_ttl: '30d',
          activity_bump: '720h',
          failure_ttl: '365d',
          time_til_dormant: '365d',
          time_til_dormant_autodelete: '52w1d',
          time_til_autostop_notify: '30d',
        };
      }),
    ).toEqual([]);
  });

  it('allows exec with the exec provisioner, and $schema', () => {
    expect(
      problems((c) => {
        c.$schema = './schema/template-config.schema.json';
        c.provisioner = 'exec';
        c.exec = { command: './provision.sh', timeout: '10m' };
      }),
    ).toEqual([]);
  });
});

describe('every rule reports its path', () => {
  it.each<[string, (config: Json) => void, string]>([
    ['unknown top-level key', (c) => (c.colour = 'blue'), 'colour: unknown field'],
    [
      'unknown nested key',
      (c) => (prebuilds0(c).instance = 1),
      'presets[0].prebuilds.instance: unknown field',
    ],
    ['missing name', (c) => delete c.name, 'name: is required'],
    [
      'bad template name',
      (c) => (c.name = 'Dev Env'),
      'name: must be a valid template name: 1-64 characters: lowercase letters, digits, "-" and "_", starting with a letter or digit',
    ],
    ['wrong type', (c) => (c.presets = { name: 'x' }), 'presets: expected a list, got a mapping'],
    [
      'number parameter',
      (c) => ((preset0(c).parameters as Json).cpus = 4),
      'presets[0].parameters.cpus: expected text, got the number 4',
    ],
    [
      'unknown provisioner',
      (c) => (c.provisioner = 'terraform'),
      'provisioner: must be one of "echo", "exec"',
    ],
    [
      'negative instances',
      (c) => (prebuilds0(c).instances = -1),
      'presets[0].prebuilds.instances: must be at least 0',
    ],
    [
      'fractional schedule instances',
      (c) => ((schedule0(c)[1] as Json).instances = 1.5),
      'presets[0].prebuilds.scheduling.schedule[1].instances: expected a whole number, got the fraction 1.5',
    ],
    [
      'too many instances',
      (c) => (prebuilds0(c).instances = 5000),
      'presets[0].prebuilds.instances: must be at most 1000',
    ],
    [
      'duplicate preset names',
      (c) => (((c.presets as Json[])[1] as Json).name = 'us-nix'),
      'presets[1].name: duplicate preset name "us-nix" (also presets[0])',
    ],
    [
      'two defaults',
      (c) => (((c.presets as Json[])[1] as Json).default = true),
      'presets[1].default: only one preset can be the default (presets[0] already is)',
    ],
    [
      'bad duration',
      (c) => ((c.lifecycle as Json).activity_bump = '1 hour'),
      'lifecycle.activity_bump: must be a duration such as "30m", "8h", "7d", "1h30m" or 0',
    ],
    [
      'too short a duration',
      (c) => ((c.lifecycle as Json).time_til_dormant = '30s'),
      'lifecycle.time_til_dormant: must be 0 (off) or from 1m to 365d, got "30s"',
    ],
    [
      'a default TTL beyond 30 days (stored, it broke every template read)',
      (c) => ((c.lifecycle as Json).default_ttl = '1000000000d'),
      'lifecycle.default_ttl: must be 0 (off) or from 1m to 30d, got "1000000000d"',
    ],
    [
      'a duration beyond 2^63 ms',
      (c) => ((c.lifecycle as Json).activity_bump = '99999999999999999999w'),
      'lifecycle.activity_bump: must be at most 30d, got "99999999999999999999w"',
    ],
    [
      'an exec timeout beyond a week',
      (c) => {
        c.provisioner = 'exec';
        c.exec = { command: '/bin/true', timeout: '8d' };
      },
      'exec.timeout: must be 0 (off) or from 1s to 7d, got "8d"',
    ],
    [
      'a bare number other than 0 for a duration',
      (c) => ((c.lifecycle as Json).failure_ttl = 3600),
      'lifecycle.failure_ttl: a bare number is only accepted for 0: write the unit, e.g. "3600m" or "3600s"',
    ],
    [
      'a duration of the wrong type',
      (c) => ((c.lifecycle as Json).failure_ttl = true),
      'lifecycle.failure_ttl: expected a duration such as "30m", "8h", "7d", "1h30m" or 0, got true',
    ],
    [
      'unknown weekday',
      (c) => ((c.lifecycle as Json).autostart_allowed_days = ['monday', 'funday']),
      'lifecycle.autostart_allowed_days[1]: must be one of "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"',
    ],
    [
      'autostop weeks out of range',
      (c) => ((c.lifecycle as Json).autostop_requirement = { weeks: 17 }),
      'lifecycle.autostop_requirement.weeks: must be at most 16',
    ],
    [
      'ttl below an hour',
      (c) => (prebuilds0(c).expiration_policy = { ttl: 60 }),
      'presets[0].prebuilds.expiration_policy.ttl: must be 0 (never expire) or from 3600 (1 hour) to 31536000 (1 year) seconds',
    ],
    [
      'ttl above a year',
      (c) => (prebuilds0(c).expiration_policy = { ttl: 31_536_001 }),
      'presets[0].prebuilds.expiration_policy.ttl: must be at most 31536000',
    ],
    [
      'cron with 4 fields',
      (c) => ((schedule0(c)[0] as Json).cron = '* 8-18 * *'),
      'presets[0].prebuilds.scheduling.schedule[0].cron: must have exactly 5 fields (minute hour day-of-month month day-of-week), found 4',
    ],
    [
      'cron with 1 field (cron-parser would pad it)',
      (c) => ((schedule0(c)[0] as Json).cron = '*'),
      'presets[0].prebuilds.scheduling.schedule[0].cron: must have exactly 5 fields (minute hour day-of-month month day-of-week), found 1',
    ],
    [
      'cron with 6 fields',
      (c) => ((schedule0(c)[0] as Json).cron = '0 * 8-18 * * 1-5'),
      'presets[0].prebuilds.scheduling.schedule[0].cron: must have exactly 5 fields (minute hour day-of-month month day-of-week), found 6',
    ],
    [
      'minute field not *',
      (c) => ((schedule0(c)[1] as Json).cron = '0 8-14 * * 6'),
      'presets[0].prebuilds.scheduling.schedule[1].cron: minute field must be "*"',
    ],
    [
      'hour out of range',
      (c) => ((schedule0(c)[0] as Json).cron = '* 8-24 * * 1-5'),
      'presets[0].prebuilds.scheduling.schedule[0].cron: hour field "8-24": 24 is out of range 0-23',
    ],
    [
      'backwards range',
      (c) => ((schedule0(c)[0] as Json).cron = '* 22-6 * * 1-5'),
      'presets[0].prebuilds.scheduling.schedule[0].cron: hour field "22-6": range 22-6 goes backwards; split it, for example 22-23,0-6',
    ],
    [
      'unknown name',
      (c) => ((schedule0(c)[0] as Json).cron = '* 8-18 * * MON-FRY'),
      'presets[0].prebuilds.scheduling.schedule[0].cron: day-of-week field "MON-FRY": "FRY" is not a number or a name (SUN..SAT)',
    ],
    [
      'zero step',
      (c) => ((schedule0(c)[0] as Json).cron = '* */0 * * 1-5'),
      'presets[0].prebuilds.scheduling.schedule[0].cron: hour field "*/0": step "0" must be a whole number of at least 1',
    ],
    [
      'unsupported L',
      (c) => ((schedule0(c)[0] as Json).cron = '* 8 L * *'),
      'presets[0].prebuilds.scheduling.schedule[0].cron: day-of-month field "L": "L" is not a number',
    ],
    [
      'a cron that can never match',
      (c) => ((schedule0(c)[0] as Json).cron = '* 8 30 2 *'),
      'presets[0].prebuilds.scheduling.schedule[0].cron: never matches: no selected month has any of the selected days of the month',
    ],
    [
      'unknown time zone',
      (c) => (scheduling0(c).timezone = 'America/New_Yrok'),
      'presets[0].prebuilds.scheduling.timezone: "America/New_Yrok" is not an IANA time zone (examples: UTC, Europe/Berlin, America/New_York)',
    ],
    [
      'an offset is not a zone',
      (c) => (scheduling0(c).timezone = '+05:00'),
      'presets[0].prebuilds.scheduling.timezone: "+05:00" is not an IANA time zone (examples: UTC, Europe/Berlin, America/New_York)',
    ],
    [
      'schedules without a time zone',
      (c) => delete scheduling0(c).timezone,
      'presets[0].prebuilds.scheduling.timezone: is required: schedules are read in an IANA time zone such as "UTC" or "Europe/Berlin"',
    ],
    [
      'schedules with an empty time zone',
      (c) => (scheduling0(c).timezone = ''),
      'presets[0].prebuilds.scheduling.timezone: required when there are schedules: an IANA time zone such as "UTC" or "Europe/Berlin"',
    ],
    [
      'an empty schedule list',
      (c) => (scheduling0(c).schedule = []),
      'presets[0].prebuilds.scheduling.schedule: must have at least one entry (leave out scheduling for a fixed pool size)',
    ],
    [
      'overlapping schedules',
      (c) => ((schedule0(c)[1] as Json).cron = '* 18-20 * * 5-6'),
      'presets[0].prebuilds.scheduling.schedule[1].cron: "* 18-20 * * 5-6" overlaps "* 8-18 * * 1-5" (schedule[0]): both cover Friday, January 1, 18:00-18:59 local time',
    ],
    [
      'overlap through day-of-month OR day-of-week',
      (c) => ((schedule0(c)[1] as Json).cron = '* 8 1 * 6'),
      'presets[0].prebuilds.scheduling.schedule[1].cron: "* 8 1 * 6" overlaps "* 8-18 * * 1-5" (schedule[0]): both cover Monday, January 1, 08:00-08:59 local time',
    ],
    [
      'overlap only on February 29',
      (c) =>
        (scheduling0(c).schedule = [
          { cron: '* 0 29 2 *', instances: 1 },
          { cron: '* 0 * * 1', instances: 2 },
        ]),
      'presets[0].prebuilds.scheduling.schedule[1].cron: "* 0 * * 1" overlaps "* 0 29 2 *" (schedule[0]): both cover Monday, February 29, 00:00-00:59 local time',
    ],
    [
      'exec without the exec provisioner',
      (c) => (c.exec = { command: './x' }),
      'exec: only allowed with provisioner: exec (provisioner is "echo")',
    ],
    [
      'too short an exec timeout',
      (c) => {
        c.provisioner = 'exec';
        c.exec = { command: './x', timeout: '500ms' };
      },
      'exec.timeout: must be 0 (off) or from 1s to 7d, got "500ms"',
    ],
    [
      'exec claiming an admin push (only a push records that)',
      (c) => {
        c.provisioner = 'exec';
        c.exec = { command: './build.sh', pushed_by_admin: true };
      },
      'exec.pushed_by_admin: unknown field',
    ],
    [
      'not a mapping',
      (c) => Object.assign(c, { presets: [42] }),
      'presets[0]: expected a mapping (key: value), got the number 42',
    ],
  ])('%s', (_rule, change, expected) => {
    expect(problems(change)).toEqual([expected]);
  });

  it('reports every problem at once, in document order', () => {
    const lines = problems((c) => {
      c.name = 'Bad Name';
      c.extra = true;
      (c.lifecycle as Json).default_ttl = 'forever';
      prebuilds0(c).instances = -2;
      scheduling0(c).timezone = 'Nowhere/City';
      (schedule0(c)[0] as Json).cron = '0 8-18 * * 1-5';
      (schedule0(c)[1] as Json).cron = '* 12 * * 1';
      ((c.presets as Json[])[1] as Json).name = 'us-nix';
    });
    expect(lines.map((line) => line.split(':')[0])).toEqual([
      'name',
      'lifecycle.default_ttl',
      'presets[0].prebuilds.instances',
      'presets[0].prebuilds.scheduling.timezone',
      'presets[0].prebuilds.scheduling.schedule[0].cron',
      'presets[1].name',
      'extra',
    ]);
  });

  it('reports overlaps even when another field of the same file has a type error', () => {
    const lines = problems((c) => {
      c.provisioner = 42;
      (schedule0(c)[1] as Json).cron = '* 12 * * 1';
    });
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/schedule\[1\]\.cron: "\* 12 \* \* 1" overlaps "\* 8-18 \* \* 1-5"/);
  });

  it('quotes keys that are not plain identifiers', () => {
    const lines = problems((c) => ((preset0(c).parameters as Json)['cpu count'] = 4));
    expect(lines).toEqual(['presets[0].parameters["cpu count"]: expected text, got the number 4']);
  });
});

describe('text input', () => {
  it.each([
    ['name: [', /^\(root\): not valid YAML or JSON: .*line 1, column 8$/],
    ['a: 1\na: 2\n', /^\(root\): not valid YAML or JSON: Map keys must be unique/],
    ['', /^\(root\): expected a mapping \(key: value\), got null$/],
    ['- name: x', /^\(root\): expected a mapping \(key: value\), got a list$/],
    [
      'name: x\n__proto__:\n  presets: []\n',
      /^__proto__: a "__proto__" key is not allowed \(at __proto__\): it could change the prototype/,
    ],
    [
      '{"name": "x", "presets": [{"name": "p", "__proto__": {"default": true}}]}',
      /^presets\[0\]\.__proto__: a "__proto__" key is not allowed/,
    ],
  ])('%j', (text, expected) => {
    const result = validateTemplateText(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(formatIssues(result.issues)[0]).toMatch(expected);
  });

  it('treats YAML comments and key order as no change', () => {
    const a = validateTemplateText(YAML.stringify(base()));
    const reordered = Object.fromEntries(Object.entries(base()).reverse());
    const b = validateTemplateText(`# a comment\n${YAML.stringify(reordered)}`);
    expect(a.ok && b.ok).toBe(true);
    if (a.ok && b.ok) expect(b.config).toEqual(a.config);
  });
});
