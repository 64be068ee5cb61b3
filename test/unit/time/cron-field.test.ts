import { describe, expect, it } from 'vitest';

import { type CronFieldSpec, expandCronField } from '../../../src/domain/time/cron-field.js';

const HOUR: CronFieldSpec = { min: 0, max: 23 };
const DOW: CronFieldSpec = {
  min: 0,
  max: 7,
  wildcardMax: 6,
  names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'],
  nameBase: 0,
};
const MONTH: CronFieldSpec = {
  min: 1,
  max: 12,
  names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
  nameBase: 1,
};

describe('expandCronField', () => {
  it.each([
    ['*', HOUR, Array.from({ length: 24 }, (_, i) => i)],
    ['8', HOUR, [8]],
    ['8-11', HOUR, [8, 9, 10, 11]],
    ['*/6', HOUR, [0, 6, 12, 18]],
    ['8-18/5', HOUR, [8, 13, 18]],
    ['20/2', HOUR, [20, 22]],
    ['9,1,9,3', HOUR, [1, 3, 9]],
    ['*', DOW, [0, 1, 2, 3, 4, 5, 6]],
    ['mon-FRI', DOW, [1, 2, 3, 4, 5]],
    ['7', DOW, [7]],
    ['jan,Mar', MONTH, [1, 3]],
  ])('%s', (text, spec, values) => {
    expect(expandCronField(text, spec)).toEqual({ ok: true, values });
  });

  it('accepts ? only where the spec says so', () => {
    expect(expandCronField('?', { ...DOW, questionMark: true })).toEqual(expandCronField('*', DOW));
    expect(expandCronField('?', DOW)).toMatchObject({ problem: { kind: 'not-a-value' } });
  });

  it('closes MON-SUN at 7 only where the spec says so', () => {
    expect(expandCronField('FRI-SUN', { ...DOW, sundayClosesRange: true })).toEqual({
      ok: true,
      values: [5, 6, 7],
    });
    expect(expandCronField('FRI-SUN', DOW)).toMatchObject({
      problem: { kind: 'backwards', from: 5, to: 0 },
    });
    // Only the name closes the range: 5-0 stays backwards.
    expect(expandCronField('5-0', { ...DOW, sundayClosesRange: true })).toMatchObject({
      problem: { kind: 'backwards' },
    });
  });

  it.each([
    ['1,,2', { kind: 'empty-item', item: '' }],
    ['1/2/3', { kind: 'extra-slash', item: '1/2/3' }],
    ['/5', { kind: 'missing-base', item: '/5' }],
    ['*/0', { kind: 'bad-step', step: '0' }],
    ['*/x', { kind: 'bad-step', step: 'x' }],
    ['1-2-3', { kind: 'bad-range', range: '1-2-3' }],
    ['x', { kind: 'not-a-value', token: 'x' }],
    ['5-', { kind: 'not-a-value', token: '' }],
    ['24', { kind: 'out-of-range', value: 24 }],
    ['18-9', { kind: 'backwards', range: '18-9', from: 18, to: 9 }],
  ])('reports %j as data', (text, problem) => {
    expect(expandCronField(text, HOUR)).toMatchObject({ ok: false, problem });
  });
});
