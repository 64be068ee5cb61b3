import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { exampleTraceCsv } from '../../../src/autoscaling/simulate/example-trace.js';
import { parseInstant, parseTrace } from '../../../src/autoscaling/simulate/index.js';

describe('parseInstant', () => {
  it.each([
    ['2026-11-23T09:15:00Z', '2026-11-23T09:15:00.000Z'],
    ['2026-11-23T09:15Z', '2026-11-23T09:15:00.000Z'],
    ['2026-11-23 09:15:00z', '2026-11-23T09:15:00.000Z'],
    ['2026-11-23T10:15:00+01:00', '2026-11-23T09:15:00.000Z'],
    ['2026-11-23T04:15:00-0500', '2026-11-23T09:15:00.000Z'],
    ['2026-11-23T09:15:00.25Z', '2026-11-23T09:15:00.250Z'],
    ['2028-02-29T00:00:00Z', '2028-02-29T00:00:00.000Z'],
  ])('%s = %s', (text, iso) => {
    expect(new Date(parseInstant(text) as number).toISOString()).toBe(iso);
  });

  it.each([
    ['2026-11-23T09:15:00', /has no time zone/],
    ['2026-11-23', /is not an ISO-8601 instant/],
    ['1795425300000', /is not an ISO-8601 instant/],
    ['2026-02-29T00:00Z', /not a valid instant \(day 29 of 2026-02\)/],
    ['2026-00-10T00:00Z', /\(month 0\)/],
    ['2026-11-23T24:00Z', /\(hour 24\)/],
    ['2026-11-23T23:60Z', /\(minute 60\)/],
    ['2026-11-23T23:59:60Z', /\(second 60\)/],
    ['2026-11-23T23:59:00+25:00', /\(offset \+25:00\)/],
  ])('rejects %s', (text, message) => {
    expect(parseInstant(text)).toMatch(message);
  });
});

describe('parseTrace', () => {
  it('reads the at column wherever it is, with quotes, CRLF, blank lines, any order', () => {
    const text =
      '\uFEFFuser,"At",note\r\n"b, c",2026-11-23T00:02:00Z,"say ""hi"""\r\n\r\na,2026-11-23T00:01:00Z,\r\n';
    expect(parseTrace(text, 'x.csv')).toEqual([
      Date.parse('2026-11-23T00:01:00Z'),
      Date.parse('2026-11-23T00:02:00Z'),
    ]);
  });

  it('accepts a header without rows', () => {
    expect(parseTrace('at\n', 'x.csv')).toEqual([]);
  });

  it.each([
    ['', 'x.csv:1: the header line needs an "at" column of ISO-8601 instants (the line is empty)'],
    ['"at\n', 'x.csv:1: the header line has an unterminated quoted field'],
    ['at\n"2026-11-23T00:01:00Z\n', 'x.csv:2: unterminated or misplaced quote'],
    ['at\n"2026"x\n', 'x.csv:2: unterminated or misplaced quote'],
    ['a,at\n1,\n', 'x.csv:2: the "at" value is empty'],
    ['at\n2026-11-23T00:01:00Z\n\nsoon\n', /^x\.csv:4: "soon" is not/],
  ])('%j fails with %s', (text, message) => {
    expect(() => parseTrace(text, 'x.csv')).toThrow(message);
  });
});

describe('examples/claims-trace.csv', () => {
  it('is what scripts/example-trace.ts generates (npm run example:trace)', () => {
    const committed = readFileSync(
      new URL('../../../examples/claims-trace.csv', import.meta.url),
      'utf8',
    );
    expect(committed).toBe(exampleTraceCsv());
  });
});
