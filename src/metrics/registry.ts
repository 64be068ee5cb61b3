import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * One registry per controller (never prom-client's global one), so tests can build several apps
 * in one process. Process metrics (CPU, memory, event loop, GC) are included.
 */
export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}
