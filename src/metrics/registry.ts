import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';

import { VERSION } from '../version/index.js';

/**
 * One registry per controller (never prom-client's global one), so tests can build several apps
 * in one process. Process metrics (CPU, memory, event loop, GC) and build info are included.
 */
export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'prebuild_controller_build_info',
    help: 'Always 1; the labels tell which build runs: version (package.json), Node.js version, platform and architecture.',
    labelNames: ['version', 'node_version', 'platform', 'arch'],
    registers: [registry],
  }).set(
    {
      version: VERSION,
      node_version: process.version,
      platform: process.platform,
      arch: process.arch,
    },
    1,
  );
  return registry;
}
