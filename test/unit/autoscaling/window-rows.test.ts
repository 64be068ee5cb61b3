import { describe, expect, it } from 'vitest';

import { WindowRow } from '../../../src/autoscaling/demand-reads.js';

const good = {
  template_id: 't',
  preset_name: 'small',
  claims_5m: 1,
  claims_10m: 2,
  claims_30m: 3,
  claims_60m: 4,
  claims_120m: 5,
  misses_5m: 0,
  misses_10m: 0,
  misses_30m: 1,
  misses_60m: 1,
  misses_120m: 2,
};

describe('the rows of GetClaimDemandWindows', () => {
  it('accepts a row with every count', () => {
    expect(WindowRow.safeParse(good).success).toBe(true);
  });

  it.each([
    ['a missing count', { ...good, misses_120m: undefined }],
    ['a count as text', { ...good, claims_30m: '3' }],
    ['a fractional count', { ...good, claims_5m: 1.5 }],
    ['no preset name', { ...good, preset_name: null }],
    ['not an object', 'row'],
  ])('rejects %s', (_why, row) => {
    const result = WindowRow.safeParse(row);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toContain('claims_5m');
  });
});
