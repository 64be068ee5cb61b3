import { describe, expect, it, vi } from 'vitest';

import { silentLogger } from '../../src/log/logger.js';
import { WakeLoop } from '../../src/service/wake-loop.js';

const far = () => new Date(Date.now() + 5_000);
const tick = (ms = 20) => new Promise((resolve) => setTimeout(resolve, ms));

describe('WakeLoop', () => {
  it('runs a round at start, and one more round for any number of wake-ups during a round', async () => {
    let rounds = 0;
    let release!: () => void;
    const loop = new WakeLoop({
      round: async () => {
        rounds += 1;
        if (rounds === 1) await new Promise<void>((resolve) => (release = resolve));
      },
      intervalMs: 60_000,
      log: silentLogger(),
      what: 'test round',
    });
    loop.start();
    await tick();
    for (let i = 0; i < 10; i++) loop.wake();
    release();
    await tick(50);
    expect(rounds).toBe(2);
    expect(await loop.stop(far())).toBe(true);
  });

  it('runs the next round when the previous one says it is due, before the interval', async () => {
    let rounds = 0;
    const loop = new WakeLoop({
      // The first round knows something changes in 20 ms; the interval is a minute.
      round: async () => {
        rounds += 1;
        return rounds === 1 ? 20 : null;
      },
      intervalMs: 60_000,
      log: silentLogger(),
      what: 'test round',
    });
    loop.start();
    await vi.waitFor(() => expect(rounds).toBe(2), { timeout: 5_000 });
    await tick(50);
    expect(rounds).toBe(2);
    await loop.stop(far());
  });

  it('with busyShare, woken rounds keep their distance: 4x the last round at 0.2', async () => {
    const rounds: { start: number; end: number }[] = [];
    const loop = new WakeLoop({
      round: async () => {
        const start = Date.now();
        await tick(40);
        rounds.push({ start, end: Date.now() });
      },
      intervalMs: 60_000,
      debounceMs: 10,
      busyShare: 0.2,
      log: silentLogger(),
      what: 'test round',
    });
    loop.start();
    const storm = setInterval(() => loop.wake(), 5);
    await vi.waitFor(() => expect(rounds.length).toBeGreaterThanOrEqual(4), { timeout: 10_000 });
    clearInterval(storm);
    await loop.stop(far());
    for (let i = 1; i < rounds.length; i++) {
      const previous = rounds[i - 1]!;
      const took = previous.end - previous.start;
      // Timers never fire early; 2 ms for Date.now()'s rounding.
      expect(rounds[i]!.start - previous.end).toBeGreaterThanOrEqual(4 * took - 2);
    }
  });

  it('keeps going after a round throws', async () => {
    let rounds = 0;
    const loop = new WakeLoop({
      round: async () => {
        rounds += 1;
        if (rounds === 1) throw new Error('boom');
      },
      intervalMs: 10,
      log: silentLogger(),
      what: 'test round',
    });
    loop.start();
    await vi.waitFor(() => expect(rounds).toBeGreaterThan(2), { timeout: 5_000 });
    await loop.stop(far());
  });

  it('stop waits for the round in flight until the deadline, then reports it did not finish', async () => {
    let release!: () => void;
    const loop = new WakeLoop({
      round: () => new Promise<void>((resolve) => (release = resolve)),
      intervalMs: 60_000,
      log: silentLogger(),
      what: 'test round',
    });
    loop.start();
    await tick();
    expect(await loop.stop(new Date(Date.now() + 30))).toBe(false);
    let ended = false;
    void loop.done.then(() => (ended = true));
    await tick();
    expect(ended).toBe(false);
    release();
    await loop.done;
    expect(loop.stopped).toBe(true);
  });

  it('a debounce turns a burst of wake-ups after the round into one round', async () => {
    let rounds = 0;
    const loop = new WakeLoop({
      round: async () => {
        rounds += 1;
      },
      intervalMs: 60_000,
      debounceMs: 300,
      log: silentLogger(),
      what: 'test round',
    });
    loop.start();
    await tick();
    loop.wake();
    await tick(10);
    loop.wake();
    loop.wake();
    await vi.waitFor(() => expect(rounds).toBe(2), { timeout: 5_000 });
    await tick(400);
    expect(rounds).toBe(2);
    await loop.stop(far());
  });
});
