import { afterAll, describe, expect, it, vi } from 'vitest';

import { CHANNELS } from '../../src/db/channels.js';
import { Listener } from '../../src/db/listener.js';
import { notify } from '../../src/jobs/notify.js';
import { silentLogger } from '../../src/log/logger.js';
import { CountersCache } from '../../src/prebuilds/counters-cache.js';
import { useTestDatabase } from '../helpers/db.js';

const db = useTestDatabase();
let listener: Listener | undefined;
let cache: CountersCache | undefined;
afterAll(async () => {
  await cache?.stop();
  await listener?.stop();
});

describe('the prebuild counters behind /metrics', () => {
  it('are reloaded by the next scrape after a claim, not after the refresh interval', async () => {
    listener = new Listener(db.url, silentLogger(), { minBackoffMs: 10, maxBackoffMs: 50 });
    cache = new CountersCache({
      db: db.pool,
      logger: silentLogger(),
      // An hour: only the claim's NOTIFY can make the next scrape reload.
      intervalMs: 3_600_000,
      listener,
    });
    await listener.start();
    const refresh = vi.spyOn(cache, 'refresh');
    await cache.start();
    await cache.get();
    refresh.mockClear();
    await cache.get();
    expect(refresh).not.toHaveBeenCalled();
    // What a claim sends at commit, from the controller or from the CLI.
    await notify(db.pool, CHANNELS.reconcile, [{ reason: 'prebuild_claimed', preset_id: null }]);
    await vi.waitFor(
      async () => {
        await cache?.get();
        expect(refresh).toHaveBeenCalledTimes(1);
      },
      { timeout: 10_000, interval: 50 },
    );
  });
});
