// Rewrites the configuration table in docs/configuration.md from src/config/settings.ts.
import { readFileSync, writeFileSync } from 'node:fs';

import { withSettingsTable } from '../src/config/docs.js';

const path = new URL('../docs/configuration.md', import.meta.url);
writeFileSync(path, withSettingsTable(readFileSync(path, 'utf8')));
