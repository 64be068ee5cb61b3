import { acquisition, wakeup } from './acquisition.js';
import { claims } from './claims.js';
import { httpClaims } from './http-claims.js';
import { lifecycleTick } from './lifecycle.js';
import { reconcilePass } from './pass.js';
import { rss } from './rss.js';
import { queries } from './queries.js';
import { simulateSuite } from './simulate.js';
import type { AnyBenchSuite } from './types.js';

/**
 * Every suite, in the order they run on each size: read-only ones first, then the ones that
 * change data. Job acquisition / NOTIFY wake-up latency (issue 4) and the lifecycle scheduler
 * tick (issue 6) plug in here as further suites once those parts exist. Suites with
 * `database: false` (the simulator) run once, before any size is seeded.
 */
export const SUITES: readonly AnyBenchSuite[] = [
  reconcilePass,
  queries,
  lifecycleTick,
  claims,
  httpClaims,
  acquisition,
  wakeup,
  rss,
  simulateSuite,
];
