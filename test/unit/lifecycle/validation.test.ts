import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  activityBumpDeadline,
  type BumpInput,
  type ExtendTarget,
  nextStartAtFor,
  validateAutostartSchedule,
  validateExtend,
  validateTtl,
} from '../../../src/domain/lifecycle/index.js';
import { baseTemplate, DAY, HOUR, MIN, plus, t } from './state.js';

describe('validateTtl', () => {
  it.each<[number | null, unknown]>([
    [null, { ok: true, value: null, warnings: [] }],
    [60_000, { ok: true, value: 60_000, warnings: [] }],
    [90_500, { ok: true, value: 60_000, warnings: [] }],
    [30 * DAY, { ok: true, value: 30 * DAY, warnings: [] }],
    [
      59_999,
      { ok: false, problems: [{ field: 'ttl_ms', reason: 'must be at least 1 minute (60000)' }] },
    ],
    [
      0,
      { ok: false, problems: [{ field: 'ttl_ms', reason: 'must be at least 1 minute (60000)' }] },
    ],
    [
      30 * DAY + 1,
      {
        ok: false,
        problems: [{ field: 'ttl_ms', reason: 'must be at most 30 days (2592000000)' }],
      },
    ],
    [
      1.5,
      {
        ok: false,
        problems: [{ field: 'ttl_ms', reason: 'must be a whole number of milliseconds' }],
      },
    ],
  ])('%s', (ttl, expected) => {
    expect(validateTtl(ttl, baseTemplate)).toEqual(expected);
  });

  it('refuses when the template does not allow user autostop', () => {
    expect(validateTtl(HOUR, { allowUserAutostop: false })).toEqual({
      ok: false,
      problems: [
        {
          field: 'ttl_ms',
          reason: 'the template does not allow users to set their autostop (TTL)',
        },
      ],
    });
  });
});

describe('validateAutostartSchedule', () => {
  it('normalises a valid schedule', () => {
    expect(validateAutostartSchedule('CRON_TZ=europe/berlin 0 9 * * 1-5', baseTemplate)).toEqual({
      ok: true,
      value: 'CRON_TZ=Europe/Berlin 0 9 * * 1-5',
      warnings: [],
    });
  });
  it('null or empty removes the schedule', () => {
    expect(validateAutostartSchedule(null, baseTemplate)).toMatchObject({ ok: true, value: null });
    expect(validateAutostartSchedule('  ', baseTemplate)).toMatchObject({ ok: true, value: null });
  });
  it('names the field and the problem', () => {
    expect(validateAutostartSchedule('0 9 1 * *', baseTemplate)).toEqual({
      ok: false,
      problems: [
        { field: 'schedule', reason: 'schedule "0 9 1 * *": day-of-month: must be "*" (got "1")' },
      ],
    });
  });
  it('refuses when the template disallows autostart', () => {
    expect(
      validateAutostartSchedule('0 9 * * *', { ...baseTemplate, allowUserAutostart: false }),
    ).toMatchObject({
      ok: false,
      problems: [
        { field: 'schedule', reason: 'the template does not allow autostart for its workspaces' },
      ],
    });
  });
  it('warns when every fire lands on a blocked day', () => {
    const result = validateAutostartSchedule('0 9 * * 6', {
      ...baseTemplate,
      autostartBlockDaysOfWeek: 0b1100000,
    });
    expect(result).toMatchObject({
      ok: true,
      warnings: [expect.stringContaining('saturday, sunday')],
    });
  });
});

describe('validateExtend', () => {
  const now = t('2025-06-04T12:00:00Z');
  const build: ExtendTarget = {
    transition: 'start',
    jobStatus: 'succeeded',
    jobCompletedAt: t('2025-06-04T10:00:00Z'),
    deadline: t('2025-06-04T13:00:00Z'),
    maxDeadline: t('2025-06-05T00:00:00Z'),
  };
  const reason = (result: ReturnType<typeof validateExtend>) =>
    result.ok ? 'ok' : result.problems.map((p) => `${p.field}: ${p.reason}`).join('; ');

  it.each<[string, Date, ExtendTarget | null, string]>([
    ['30 minutes ahead', plus(now, 30 * MIN), build, 'ok'],
    [
      '29 minutes ahead',
      plus(now, 29 * MIN),
      build,
      'deadline: must be at least 30 minutes in the future',
    ],
    [
      'earlier than now',
      plus(now, -MIN),
      build,
      'deadline: must be at least 30 minutes in the future',
    ],
    ['at max_deadline', t('2025-06-05T00:00:00Z'), build, 'ok'],
    [
      'past max_deadline',
      t('2025-06-05T00:00:01Z'),
      build,
      "deadline: must not be after the max deadline 2025-06-05T00:00:00.000Z (the template's autostop requirement)",
    ],
    ['far ahead without max_deadline', plus(now, 10 * DAY), { ...build, maxDeadline: null }, 'ok'],
    [
      'not running',
      plus(now, HOUR),
      { ...build, transition: 'stop' },
      'deadline: the workspace is not running (its latest build is not a succeeded start)',
    ],
    [
      'build still running',
      plus(now, HOUR),
      { ...build, jobStatus: 'running' },
      'deadline: the workspace is not running (its latest build is not a succeeded start)',
    ],
    [
      'no build',
      plus(now, HOUR),
      null,
      'deadline: the workspace is not running (its latest build is not a succeeded start)',
    ],
    [
      'manual stop (no deadline)',
      plus(now, HOUR),
      { ...build, deadline: null },
      'deadline: the workspace has no autostop deadline to extend (it stops manually)',
    ],
    ['invalid date', new Date('nope'), build, 'deadline: must be an ISO 8601 timestamp'],
  ])('%s', (_name, deadline, target, expected) => {
    expect(reason(validateExtend(deadline, target, now))).toBe(expected);
  });
});

describe('activityBumpDeadline', () => {
  const now = t('2025-06-04T12:00:00Z');
  const input = (o: {
    deadline?: Date | null;
    maxDeadline?: Date | null;
    transition?: 'start' | 'stop';
    jobStatus?: 'succeeded' | 'running';
    ttlMs?: number | null;
    schedule?: string | null;
    bump?: number;
    allowUserAutostop?: boolean;
    defaultTtlMs?: number;
    at?: Date;
  }): BumpInput => ({
    now: o.at ?? now,
    build: {
      transition: o.transition ?? 'start',
      jobStatus: o.jobStatus ?? 'succeeded',
      deadline: o.deadline === undefined ? t('2025-06-04T12:30:00Z') : o.deadline,
      maxDeadline: o.maxDeadline ?? null,
    },
    workspace: {
      ttlMs: o.ttlMs === undefined ? 8 * HOUR : o.ttlMs,
      autostartSchedule: o.schedule ?? null,
    },
    template: {
      activityBumpMs: o.bump ?? HOUR,
      allowUserAutostop: o.allowUserAutostop ?? true,
      defaultTtlMs: o.defaultTtlMs ?? 0,
      autostartBlockDaysOfWeek: 0,
    },
  });
  const iso = (d: Date | null) => d?.toISOString() ?? null;

  it.each<[string, BumpInput, string | null]>([
    ['bumps to now + activity_bump', input({}), '2025-06-04T13:00:00.000Z'],
    [
      'only after 5% of the bump elapsed (deadline - 57 min >= now: no bump)',
      input({ deadline: t('2025-06-04T12:57:00Z') }),
      null,
    ],
    [
      'just past the 5% mark',
      input({ deadline: t('2025-06-04T12:56:59Z') }),
      '2025-06-04T13:00:00.000Z',
    ],
    [
      'capped by max_deadline',
      input({ maxDeadline: t('2025-06-04T12:40:00Z') }),
      '2025-06-04T12:40:00.000Z',
    ],
    [
      'nothing when max_deadline is already the deadline',
      input({ deadline: t('2025-06-04T12:30:00Z'), maxDeadline: t('2025-06-04T12:30:00Z') }),
      null,
    ],
    ['no bump without a deadline (manual stop)', input({ deadline: null }), null],
    ['no bump for a stopped workspace', input({ transition: 'stop' }), null],
    ['no bump while the build runs', input({ jobStatus: 'running' }), null],
    ['no bump when the template turns bumps off', input({ bump: 0 }), null],
    // 11:30 activity with the next autostart at 12:00: deadline becomes 12:00 + 8 h TTL.
    [
      'crossing the next autostart: autostart + TTL',
      input({
        at: t('2025-06-04T11:30:00Z'),
        deadline: t('2025-06-04T11:40:00Z'),
        schedule: '0 12 * * *',
      }),
      '2025-06-04T20:00:00.000Z',
    ],
    [
      'crossing the next autostart uses the template default TTL when users may not set one',
      input({
        at: t('2025-06-04T11:30:00Z'),
        deadline: t('2025-06-04T11:40:00Z'),
        schedule: '0 12 * * *',
        allowUserAutostop: false,
        defaultTtlMs: 2 * HOUR,
      }),
      '2025-06-04T14:00:00.000Z',
    ],
    [
      'crossing the next autostart without a TTL: plain bump',
      input({
        at: t('2025-06-04T11:30:00Z'),
        deadline: t('2025-06-04T11:40:00Z'),
        schedule: '0 12 * * *',
        ttlMs: null,
      }),
      '2025-06-04T12:30:00.000Z',
    ],
  ])('%s', (_name, bump, expected) => {
    expect(iso(activityBumpDeadline(bump))).toBe(expected);
  });
});

describe('activityBumpDeadline properties', () => {
  it('only ever moves the deadline later, never past max_deadline', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -2 * HOUR, max: 10 * HOUR }),
        fc.option(fc.integer({ min: 0, max: 10 * HOUR }), { nil: null }),
        fc.integer({ min: 0, max: 4 * HOUR }),
        fc.option(fc.integer({ min: MIN, max: 12 * HOUR }), { nil: null }),
        fc.constantFrom(null, '0 9 * * *', '30 12 * * 1-5'),
        (deadlineOffset, maxExtra, bump, ttl, schedule) => {
          const now = t('2025-06-04T12:00:00Z');
          const deadline = plus(now, deadlineOffset);
          const maxDeadline = maxExtra === null ? null : plus(deadline, maxExtra);
          const result = activityBumpDeadline({
            now,
            build: { transition: 'start', jobStatus: 'succeeded', deadline, maxDeadline },
            workspace: { ttlMs: ttl, autostartSchedule: schedule },
            template: { ...baseTemplate, activityBumpMs: bump },
          });
          if (result === null) return;
          expect(result.getTime()).toBeGreaterThan(deadline.getTime());
          if (maxDeadline) expect(result.getTime()).toBeLessThanOrEqual(maxDeadline.getTime());
        },
      ),
    );
  });
});

describe('nextStartAtFor', () => {
  const template = { autostartBlockDaysOfWeek: 0 };
  it('counts from a stop build (so a fire between stop and completion is kept)', () => {
    const stop = { transition: 'stop' as const, createdAt: t('2025-06-04T08:59:30Z') };
    expect(
      nextStartAtFor('0 9 * * *', template, stop, t('2025-06-04T09:00:30Z'))?.toISOString(),
    ).toBe('2025-06-04T09:00:00.000Z');
  });
  it('counts from now for a running workspace', () => {
    const start = { transition: 'start' as const, createdAt: t('2025-06-01T08:00:00Z') };
    expect(
      nextStartAtFor('0 9 * * *', template, start, t('2025-06-04T10:00:00Z'))?.toISOString(),
    ).toBe('2025-06-05T09:00:00.000Z');
  });
  it('is null without a valid schedule or an allowed day', () => {
    expect(nextStartAtFor(null, template, null, t('2025-06-04T10:00:00Z'))).toBeNull();
    expect(nextStartAtFor('bad', template, null, t('2025-06-04T10:00:00Z'))).toBeNull();
    expect(
      nextStartAtFor(
        '0 9 * * 0',
        { autostartBlockDaysOfWeek: 0b1000000 },
        null,
        t('2025-06-04T10:00:00Z'),
      ),
    ).toBeNull();
  });
});
