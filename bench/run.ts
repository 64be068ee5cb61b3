import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';

import { createBenchDatabase, dropBenchDatabase, serverInfo, startBenchServer } from './db.js';
import { formatTable, type SizeReport } from './report.js';
import { seed } from './seed/index.js';
import { formatSize, parseSize, shapeFor } from './seed/shape.js';
import { SUITES } from './suites/index.js';
import type { BenchSuite, PureBenchSuite, SuiteResult } from './suites/types.js';

const HELP = `npm run bench -- [--sizes 1k,10k,100k] [--runs 20] [--suites a,b] [--out file.json] [--json] [--keep]

Seeds a database per size (embedded PostgreSQL in a temp dir, or BENCH_DATABASE_URL), runs the
suites (${SUITES.map((s) => s.name).join(', ')}) and prints a table, then the JSON.
  --sizes   workspace counts (default 1k,10k,100k)
  --runs    measured repetitions per timing (default 20)
  --suites  only these suites
  --out     also write the JSON to this file
  --json    print only the JSON
  --keep    keep the databases (BENCH_DATABASE_URL only; the embedded server is removed anyway)
  --rss-duration  how long the rss suite loads the controller (default 10m; e.g. 90s, 2m)
Sizes: 1k, 10k, 100k and 1m (1M workspaces, 100k deleted and 200k claimed prebuilds in history:
run it on request, seeding takes minutes).
BENCH_SEED_FILE overrides where the seed's prebuilds.sql is read from (../shared/seeds/004_*.txt).`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '1k,10k,100k' },
      runs: { type: 'string', default: '20' },
      suites: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      'rss-duration': { type: 'string', default: '10m' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return;
  }
  const sizes = values.sizes.split(',').map(parseSize);
  const runs = Number(values.runs);
  const rssDurationMs = parseDuration(values['rss-duration']);
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a whole number >= 1');
  const wanted = values.suites?.split(',').map((s) => s.trim());
  const suites = wanted ? SUITES.filter((s) => wanted.includes(s.name)) : SUITES;
  if (wanted && suites.length !== wanted.length) {
    throw new Error(`unknown suite in --suites; known: ${SUITES.map((s) => s.name).join(', ')}`);
  }
  const log = (line: string) => {
    if (!values.json) process.stderr.write(line + '\n');
  };

  const reports: SizeReport[] = [];
  const pure = suites.filter((s): s is PureBenchSuite => s.database === false);
  const withDatabase = suites.filter((s): s is BenchSuite => s.database !== false);
  if (pure.length > 0) {
    const results: Record<string, SuiteResult> = {};
    for (const suite of pure) {
      log(`no database: ${suite.name} (${suite.description}) ...`);
      results[suite.name] = await suite.run({ runs });
    }
    reports.push({ size: 'none', seed: { ms: 0, rows: {} }, suites: results });
  }
  if (withDatabase.length === 0) {
    finish(values, reports, undefined, runs);
    return;
  }

  const server = await startBenchServer();
  let postgres: Awaited<ReturnType<typeof serverInfo>> | undefined;
  try {
    postgres = await serverInfo(server.adminUrl);
    log(`PostgreSQL: ${postgres.version} (${server.source})`);
    for (const size of sizes) {
      const name = `bench_${formatSize(size)}`;
      log(`${formatSize(size)}: migrating and seeding ${name} ...`);
      const url = await createBenchDatabase(server.adminUrl, name);
      const shape = shapeFor(size);
      const seeded = await seed(url, shape);
      log(
        `${formatSize(size)}: seeded in ${(seeded.ms / 1000).toFixed(1)} s ${JSON.stringify(seeded.rows)}`,
      );
      const results: SizeReport['suites'] = {};
      const largest = size === Math.max(...sizes);
      for (const suite of withDatabase) {
        if (suite.largestSizeOnly && !largest) continue;
        log(`${formatSize(size)}: ${suite.name} (${suite.description}) ...`);
        const result = await suite.run({ url, shape, runs, rssDurationMs });
        (results as Record<string, unknown>)[suite.name] = result;
      }
      reports.push({
        size: formatSize(size),
        seed: { ms: Math.round(seeded.ms), rows: seeded.rows },
        suites: results,
      });
      if (!values.keep || server.source !== 'BENCH_DATABASE_URL') {
        await dropBenchDatabase(server.adminUrl, name);
      }
    }
  } finally {
    await server.stop();
  }
  finish(values, reports, postgres, runs);
}

function finish(
  values: { out?: string; json: boolean },
  reports: readonly SizeReport[],
  postgres: Awaited<ReturnType<typeof serverInfo>> | undefined,
  runs: number,
): void {
  const output = {
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
      node: process.version,
    },
    postgres,
    runs,
    sizes: reports,
  };
  const json = JSON.stringify(output, null, 2);
  if (values.out) writeFileSync(values.out, json + '\n');
  if (!values.json) process.stdout.write(formatTable(reports) + '\n\n');
  process.stdout.write(json + '\n');
}

/** "90s", "2m", "10m" -> milliseconds. */
function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(s|m)$/.exec(text.trim());
  if (!match) throw new Error(`--rss-duration "${text}" must look like 90s or 10m`);
  return Math.round(Number(match[1]) * (match[2] === 'm' ? 60_000 : 1_000));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
