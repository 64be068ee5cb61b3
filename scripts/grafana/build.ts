/**
 * Writes grafana/dashboards/*.json from the definitions in scripts/grafana/dashboards/
 * (`npm run grafana:dashboards`). The JSON files are what users import and what Grafana
 * provisions; test/grafana/dashboards.test.ts fails when they differ from the definitions.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { format, resolveConfig } from 'prettier';

import { packageRoot } from '../../src/util/paths.js';
import { buildDashboards } from './index.js';

const folder = join(packageRoot, 'grafana', 'dashboards');
for (const [file, dashboard] of buildDashboards()) {
  const path = join(folder, file);
  const options = (await resolveConfig(path)) ?? {};
  writeFileSync(path, await format(JSON.stringify(dashboard), { ...options, filepath: path }));
  console.log(`wrote ${path}`);
}
