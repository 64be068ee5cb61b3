import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { expect, it } from 'vitest';

import { withSettingsTable } from '../../src/config/docs.js';
import { packageRoot } from '../../src/util/paths.js';

it('documents every setting in the README (run `npm run docs:settings` after adding one)', () => {
  const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');
  expect(readme).toBe(withSettingsTable(readme));
});
