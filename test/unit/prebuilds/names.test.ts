import { describe, expect, it } from 'vitest';

import { forEachLimited } from '../../../src/prebuilds/limit.js';
import { base32, prebuildName } from '../../../src/prebuilds/names.js';

describe('prebuild names', () => {
  it('base32 follows RFC 4648 (lowercase, no padding)', () => {
    const text = (s: string) => base32(Buffer.from(s));
    expect(text('')).toBe('');
    expect(text('f')).toBe('my');
    expect(text('fo')).toBe('mzxq');
    expect(text('foo')).toBe('mzxw6');
    expect(text('foobar')).toBe('mzxw6ytboi');
  });

  it('prebuild-<15 base32 characters>, a valid workspace name, different each time', () => {
    const names = new Set(Array.from({ length: 200 }, prebuildName));
    expect(names.size).toBe(200);
    for (const name of names) expect(name).toMatch(/^prebuild-[a-z2-7]{15}$/);
  });
});

describe('forEachLimited', () => {
  it('runs every item, never more than the limit at once', async () => {
    let running = 0;
    let peak = 0;
    const seen: number[] = [];
    await forEachLimited([...Array(20).keys()], 3, async (item) => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 1));
      seen.push(item);
      running -= 1;
    });
    expect(seen.sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
    expect(peak).toBe(3);
  });
});
