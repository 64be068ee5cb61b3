import { describe, expect, it } from 'vitest';

import { matchPresetByParameters } from '../../../src/domain/prebuilds/match.js';

const preset = (name: string, parameters: Record<string, string>, isDefault = false) => ({
  id: `id-${name}`,
  name,
  isDefault,
  parameters,
});

const PRESETS = [
  preset('eu', { region: 'eu' }),
  preset('eu-big', { region: 'eu', cpus: '16' }),
  preset('us', { region: 'us' }, true),
  preset('bare', {}),
];

describe('matchPresetByParameters: the largest exact subset of the given parameters', () => {
  it.each([
    [{ region: 'eu' }, 'eu'],
    [{ region: 'eu', cpus: '16' }, 'eu-big'],
    [{ region: 'eu', cpus: '16', editor: 'vim' }, 'eu-big'],
    [{ region: 'eu', cpus: '8' }, 'eu'],
    [{ region: 'us', cpus: '16' }, 'us'],
    [{ region: 'asia' }, null],
    [{ cpus: '16' }, null],
    [{}, null],
  ])('%j -> %s', (given, expected) => {
    expect(matchPresetByParameters(PRESETS, given)?.name ?? null).toBe(expected);
  });

  it('breaks ties by the default preset, then by name, whatever the order', () => {
    const tied = [preset('b', { x: '1' }), preset('a', { y: '1' }), preset('c', { z: '1' }, true)];
    const given = { x: '1', y: '1', z: '1' };
    expect(matchPresetByParameters(tied, given)?.name).toBe('c');
    expect(matchPresetByParameters([...tied].reverse(), given)?.name).toBe('c');
    const noDefault = tied.map((p) => ({ ...p, isDefault: false }));
    expect(matchPresetByParameters(noDefault, given)?.name).toBe('a');
    expect(matchPresetByParameters([...noDefault].reverse(), given)?.name).toBe('a');
  });

  it('never matches a preset without parameters (it would match every request)', () => {
    expect(matchPresetByParameters([preset('bare', {})], { region: 'eu' })).toBeNull();
  });
});
