import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { expect, it } from 'vitest';

import { withSettingsTable } from '../../src/config/docs.js';
import { packageRoot } from '../../src/util/paths.js';

it('documents every setting in docs/configuration.md (run `npm run docs:settings` after adding one)', () => {
  const page = readFileSync(join(packageRoot, 'docs', 'configuration.md'), 'utf8');
  expect(page).toBe(withSettingsTable(page));
});

it('links every docs/ page from the README', () => {
  const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');
  const pages = readdirSync(join(packageRoot, 'docs')).filter((name) => name.endsWith('.md'));
  for (const page of pages) expect(readme).toContain(`](docs/${page})`);
});
