/**
 * Writes examples/claims-trace.csv, the sample demand the autoscaling docs replay: two weeks
 * from Monday 2026-11-16, seeded Poisson claim attempts at 0.3 a minute during New York office
 * hours (13:00-23:00 UTC, Monday to Friday) and 0.01 a minute otherwise. Deterministic: a test
 * checks that the committed file matches. Run with `npm run example:trace`.
 */
import { writeFileSync } from 'node:fs';

import { exampleTraceCsv } from '../src/autoscaling/simulate/example-trace.js';

const target = new URL('../examples/claims-trace.csv', import.meta.url);
writeFileSync(target, exampleTraceCsv());
process.stdout.write(`wrote ${target.pathname}\n`);
