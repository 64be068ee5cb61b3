import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { planAll } from '../../../src/domain/prebuilds/plan.js';
import {
  type GlobalSnapshot,
  PREBUILDS_SYSTEM_USER_ID,
} from '../../../src/domain/prebuilds/types.js';
import {
  HOUR,
  NOW,
  options,
  presetRow,
  running,
  stoppedOrFailed,
  stubResolver,
} from './builders.js';

const arbSnapshot = fc
  .record({
    desired: fc.integer({ min: 0, max: 6 }),
    active: fc.boolean(),
    ttlSecs: fc.constantFrom(0, 3600),
    prebuilds: fc.array(
      fc.record({
        ageH: fc.integer({ min: 0, max: 5 }),
        ready: fc.boolean(),
        mine: fc.boolean(),
      }),
      { maxLength: 10 },
    ),
    failed: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }),
    starting: fc.integer({ min: 0, max: 3 }),
    pending: fc.integer({ min: 0, max: 3 }),
  })
  .map((g): GlobalSnapshot => ({
    presets: [
      presetRow({ desiredInstances: g.desired, usingActiveVersion: g.active, ttlSecs: g.ttlSecs }),
    ],
    running: g.prebuilds.map((p, i) =>
      running(`w${i}`, p.ageH * HOUR + i, {
        ready: p.ready,
        ownerId: p.mine ? PREBUILDS_SYSTEM_USER_ID : 'user-1',
      }),
    ),
    stoppedOrFailed: g.failed.map((h, i) => stoppedOrFailed(`f${i}`, h * HOUR + i)),
    inProgress:
      g.starting > 0 ? [{ presetId: 'preset-1', transition: 'start', count: g.starting }] : [],
    pendingInactive: g.pending > 0 ? [{ presetId: 'preset-1', count: g.pending }] : [],
    backoffs: [],
    failureStreaks: [],
  }));

describe('decision invariants (any snapshot)', () => {
  it('deletes only system-owned workspaces of the snapshot, each once; creates at most desired', () => {
    fc.assert(
      fc.property(arbSnapshot, (snapshot) => {
        const [plan] = planAll(snapshot, NOW, options(), stubResolver);
        if (!plan) throw new Error('one preset expected');
        const mine = new Set(
          [...snapshot.running, ...snapshot.stoppedOrFailed]
            .filter((w) => w.ownerId === PREBUILDS_SYSTEM_USER_ID)
            .map((w) => w.id),
        );
        const deleted = plan.actions.flatMap((a) => (a.type === 'delete' ? a.workspaceIds : []));
        expect(new Set(deleted).size).toBe(deleted.length);
        for (const id of deleted) expect(mine.has(id)).toBe(true);
        for (const action of plan.actions) {
          if (action.type === 'create')
            expect(action.count).toBeLessThanOrEqual(plan.state.desired);
        }
        const types = plan.actions.map((a) => a.type);
        expect(types).toEqual([...types].sort((a, b) => order[a] - order[b]));
      }),
    );
  });

  it('an active pool with nothing in flight ends at exactly desired valid prebuilds', () => {
    fc.assert(
      fc.property(arbSnapshot, (snapshot) => {
        const [plan] = planAll(snapshot, NOW, options(), stubResolver);
        if (!plan || !plan.state.active || plan.state.starting > 0) return;
        const deleted = new Set(
          plan.actions.flatMap((a) => (a.type === 'delete' ? a.workspaceIds : [])),
        );
        const created = plan.actions.reduce((n, a) => n + (a.type === 'create' ? a.count : 0), 0);
        // Expired prebuilds are always deleted, so whatever running prebuild survives is valid.
        const survivors = snapshot.running.filter(
          (w) => w.ownerId === PREBUILDS_SYSTEM_USER_ID && !deleted.has(w.id),
        );
        expect(survivors.length + created).toBe(plan.state.desired);
      }),
    );
  });

  it('an inactive preset creates nothing and deletes every system-owned prebuild', () => {
    fc.assert(
      fc.property(arbSnapshot, (snapshot) => {
        const [plan] = planAll(snapshot, NOW, options(), stubResolver);
        if (!plan || plan.state.active) return;
        expect(plan.actions.some((a) => a.type === 'create' || a.type === 'backoff')).toBe(false);
        const deleted = plan.actions.flatMap((a) => (a.type === 'delete' ? a.workspaceIds : []));
        const running = snapshot.running.filter((w) => w.ownerId === PREBUILDS_SYSTEM_USER_ID);
        for (const w of running) expect(deleted).toContain(w.id);
      }),
    );
  });
});

const order = { cancel_pending: 0, delete: 1, create: 2, backoff: 2 } as const;
