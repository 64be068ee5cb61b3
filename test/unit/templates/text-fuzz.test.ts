import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import YAML from 'yaml';

import { main } from '../../../src/cli/main.js';
import { formatIssuePath } from '../../../src/templates/issues.js';
import { validateTemplateConfig } from '../../../src/templates/validate.js';
import { findTextProblems, textProblem } from '../../../src/util/text.js';

type Json = Record<string, unknown>;
type Segments = (string | number)[];

const example = (name: string) =>
  YAML.parse(readFileSync(new URL(`../../../examples/${name}`, import.meta.url), 'utf8')) as Json;

/**
 * Valid configs that between them have a value in every text field of the schema: the examples,
 * plus the fields they leave out (deprecated, exec, $schema, an autoscaling expression and
 * forecast, an organization).
 */
function bases(): Json[] {
  const full = example('dev-env.yaml');
  full.$schema = './schema/template-config.schema.json';
  full.organization = 'team-blue';
  full.deprecated = 'use dev-env-2';
  full.provisioner = 'exec';
  full.exec = { command: '/opt/provision.sh', timeout: '10m' };
  return [full, example('autoscaling-expression.yaml'), example('autoscaling-forecast.yaml')];
}

/** Every string value and every key of a config, as a path. */
function textFields(
  value: unknown,
  segments: Segments = [],
): { segments: Segments; key: boolean }[] {
  if (typeof value === 'string') return [{ segments, key: false }];
  if (Array.isArray(value)) return value.flatMap((item, i) => textFields(item, [...segments, i]));
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([key, item]) => [
      { segments: [...segments, key], key: true },
      ...textFields(item, [...segments, key]),
    ]);
  }
  return [];
}

/** A copy of `config` with `bad` inserted at `at` into the value, or the key, at `segments`. */
function inject(
  config: Json,
  field: { segments: Segments; key: boolean },
  bad: string,
  at: number,
) {
  const copy = structuredClone(config);
  const parent = field.segments.slice(0, -1).reduce<any>((node, s) => node[s], copy);
  const last = field.segments[field.segments.length - 1] as string | number;
  const splice = (text: string) =>
    text.slice(0, at % (text.length + 1)) + bad + text.slice(at % (text.length + 1));
  if (field.key) {
    const renamed = splice(String(last));
    // Rebuild the object so the key keeps its place in the document.
    const entries = Object.entries(parent as Json).map(([k, v]) => [k === last ? renamed : k, v]);
    for (const k of Object.keys(parent as Json)) delete (parent as Json)[k];
    Object.assign(parent as Json, Object.fromEntries(entries));
    return { config: copy, path: formatIssuePath([...field.segments.slice(0, -1), renamed]) };
  }
  parent[last] = splice(parent[last] as string);
  return { config: copy, path: formatIssuePath(field.segments) };
}

const BAD = ['\u0000', '\ud800', '\udbff', '\udc00', '\udfff'];

describe('the text rule', () => {
  it('refuses NUL and unpaired surrogates, and accepts paired ones', () => {
    expect(textProblem('a\u0000b')).toBe('must not contain NUL');
    expect(textProblem('\ud800')).toBe('must not contain an unpaired UTF-16 surrogate (U+D800)');
    expect(textProblem('x\udc00')).toBe('must not contain an unpaired UTF-16 surrogate (U+DC00)');
    expect(textProblem('\udc00\ud800')).toBeDefined();
    expect(textProblem('emoji 😀 ok, ünïcödé')).toBeUndefined();
    expect(findTextProblems({ a: ['ok', 'b\u0000'], ['k\ud800']: 1 })).toEqual([
      { segments: ['a', 1], message: 'must not contain NUL' },
      {
        segments: ['k\ud800'],
        message: 'key must not contain an unpaired UTF-16 surrogate (U+D800)',
      },
    ]);
  });
});

describe('template config fuzz: NUL and lone surrogates in every text field', () => {
  it('the bases are valid', () => {
    for (const base of bases()) expect(validateTemplateConfig(base)).toMatchObject({ ok: true });
  });

  it('every text field, every bad character: refused with the field path, never thrown', () => {
    for (const base of bases()) {
      const fields = textFields(base);
      expect(fields.length).toBeGreaterThan(10);
      for (const field of fields) {
        for (const bad of BAD) {
          const { config, path } = inject(base, field, bad, 1);
          const result = validateTemplateConfig(config);
          expect(result.ok, `${path} with U+${bad.charCodeAt(0).toString(16)}`).toBe(false);
          if (!result.ok) {
            expect(result.issues).toContainEqual({
              path,
              message: expect.stringMatching(
                /^(key )?must not contain (NUL|an unpaired UTF-16 surrogate)/,
              ),
            });
          }
        }
      }
    }
  });

  it('random positions and several bad characters at once', () => {
    const configs = bases();
    fc.assert(
      fc.property(
        fc.nat(configs.length - 1),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom(...BAD), fc.nat(40)), {
          minLength: 1,
          maxLength: 4,
        }),
        (which, injections) => {
          let config = configs[which] as Json;
          for (const [pick, bad, at] of injections) {
            const fields = textFields(config).filter((f) => !f.key);
            const field = fields[pick % fields.length] as { segments: Segments; key: boolean };
            config = inject(config, field, bad, at).config;
          }
          // Two injections can pair up into a valid surrogate pair: the rule decides, per string.
          const expected = findTextProblems(config).map((p) => formatIssuePath(p.segments));
          const result = validateTemplateConfig(config);
          if (expected.length > 0) {
            expect(result.ok).toBe(false);
            if (result.ok) return;
            const reported = new Set(result.issues.map((issue) => issue.path));
            for (const path of expected) expect(reported).toContain(path);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('template validate', () => {
  it('reports what a push would refuse: the text rule, with the path (exit 1)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'text-rule-'));
    try {
      const file = join(dir, 'bad.yaml');
      writeFileSync(
        file,
        'name: texts\ndisplay_name: "Dev\\0"\npresets:\n  - name: p\n    parameters: { k: "\\ud800" }\n',
      );
      let stderr = '';
      const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
        stderr += String(chunk);
        return true;
      });
      let code: number;
      try {
        code = await main(['template', 'validate', file]);
      } finally {
        spy.mockRestore();
      }
      expect(code).toBe(1);
      expect(stderr).toContain('display_name: must not contain NUL');
      expect(stderr).toContain(
        'presets[0].parameters.k: must not contain an unpaired UTF-16 surrogate (U+D800)',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
