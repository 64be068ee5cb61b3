import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import type { TemplateConfig } from '../../../src/templates/config-schema.js';
import { templateConfigJsonSchemaText } from '../../../src/templates/json-schema.js';
import { contentHash, dayBitmap, templateRows } from '../../../src/templates/mapping.js';
import { validateTemplateText } from '../../../src/templates/validate.js';

const root = new URL('../../../', import.meta.url);
const EXAMPLE = readFileSync(new URL('examples/dev-env.yaml', root), 'utf8');

function valid(text: string): TemplateConfig {
  const result = validateTemplateText(text);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.config;
}

describe('config to rows', () => {
  const rows = templateRows(valid(EXAMPLE));

  it('maps lifecycle durations to milliseconds and days to bitmaps (bit 0 = Monday)', () => {
    expect(rows.organization).toBe('default');
    expect(rows.name).toBe('dev-env');
    expect(rows.settings).toEqual({
      display_name: 'Development environment',
      deprecated: '',
      provisioner: 'echo',
      default_ttl: 8 * 3_600_000,
      activity_bump: 3_600_000,
      allow_user_autostart: true,
      allow_user_autostop: true,
      autostop_requirement_days_of_week: 0b110_0000,
      autostop_requirement_weeks: 1,
      // Autostart allowed Monday to Friday: blocked on Saturday and Sunday.
      autostart_block_days_of_week: 0b110_0000,
      require_active_version: false,
      failure_ttl: 24 * 3_600_000,
      time_til_dormant: 30 * 86_400_000,
      time_til_dormant_autodelete: 7 * 86_400_000,
      time_til_autostop_notify: 30 * 60_000,
    });
    expect(rows.tags).toEqual({ region: 'us-east' });
  });

  it('maps presets, parameters and schedules (with positions); no prebuilds = NULL', () => {
    expect(rows.presets).toEqual([
      {
        name: 'us-nix',
        is_default: true,
        desired_instances: 0,
        invalidate_after_secs: 86400,
        scheduling_timezone: 'America/New_York',
        autoscaling: null,
      },
      {
        name: 'eu-nix',
        is_default: false,
        desired_instances: 1,
        invalidate_after_secs: 0,
        scheduling_timezone: 'Europe/Berlin',
        autoscaling: null,
      },
      {
        name: 'gpu',
        is_default: false,
        desired_instances: null,
        invalidate_after_secs: 0,
        scheduling_timezone: '',
        autoscaling: null,
      },
    ]);
    expect(rows.parameters).toContainEqual({ preset: 'gpu', name: 'gpu', value: 'a100' });
    expect(rows.parameters).toHaveLength(7);
    expect(rows.schedules).toEqual([
      { preset: 'us-nix', position: 0, cron_expression: '* 8-18 * * 1-5', desired_instances: 3 },
      { preset: 'us-nix', position: 1, cron_expression: '* 8-14 * * 6', desired_instances: 1 },
      {
        preset: 'eu-nix',
        position: 0,
        cron_expression: '* 7-19 * * MON-FRI',
        desired_instances: 2,
      },
    ]);
  });

  it('builds day bitmaps', () => {
    expect(dayBitmap([])).toBe(0);
    expect(dayBitmap(['monday'])).toBe(1);
    expect(dayBitmap(['sunday'])).toBe(64);
    expect(
      dayBitmap(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday']),
    ).toBe(127);
  });

  it('hashes meaning, not formatting', () => {
    const a = valid('name: x\nlifecycle: { default_ttl: 8h }\ntags: { a: "1", b: "2" }\n');
    const b = valid(
      '# same\ntags: { b: "2", a: "1" }\nlifecycle: { default_ttl: 480m, activity_bump: 1h }\nname: x\n',
    );
    const c = valid('name: x\nlifecycle: { default_ttl: 9h }\n');
    expect(contentHash(a)).toBe(contentHash(b));
    expect(contentHash(a)).not.toBe(contentHash(c));
    expect(contentHash(a)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

describe('published JSON Schema', () => {
  it('is the committed file (regenerate with: npm run schema)', () => {
    const committed = readFileSync(new URL('schema/template-config.schema.json', root), 'utf8');
    expect(committed).toBe(templateConfigJsonSchemaText());
  });

  it('describes the fields, their defaults and the closed objects', () => {
    const schema = JSON.parse(templateConfigJsonSchemaText()) as {
      $schema: string;
      required: string[];
      additionalProperties: boolean;
      properties: Record<string, { default?: unknown }>;
    };
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.required).toEqual(['name']);
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining([
        'name',
        'organization',
        'provisioner',
        'tags',
        'exec',
        'lifecycle',
        'presets',
      ]),
    );
    expect(schema.properties.organization?.default).toBe('default');
  });
});
