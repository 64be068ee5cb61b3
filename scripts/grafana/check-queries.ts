/**
 * Checks the PromQL of every dashboard panel with Prometheus' own parser: writes each query
 * (Grafana variables replaced) as a recording rule into a temporary rules file and runs
 * `promtool check rules` on it. Needs `promtool` on PATH (Debian/Ubuntu: `apt-get install
 * prometheus`). Run it with `npm run check:dashboards`.
 *
 * With `--prometheus <url>` it also runs every query against that Prometheus (one that scrapes a
 * controller) and lists the queries that fail or return nothing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { stringify } from 'yaml';

import { dashboardQueries, type DashboardQuery } from './dashboard-queries.js';

function checkSyntax(queries: readonly DashboardQuery[]): number {
  const byFile = new Map<string, DashboardQuery[]>();
  for (const query of queries) byFile.set(query.file, [...(byFile.get(query.file) ?? []), query]);
  const groups = [...byFile].map(([file, list]) => ({
    name: file,
    rules: list.map((query, index) => ({
      record: `dashboard_query:${file.replace(/\W/g, '_')}:${index}`,
      expr: query.resolved,
    })),
  }));
  const dir = mkdtempSync(join(tmpdir(), 'dashboard-queries-'));
  try {
    const path = join(dir, 'dashboard-queries.rules.yml');
    writeFileSync(path, stringify({ groups }));
    const result = spawnSync('promtool', ['check', 'rules', path], { encoding: 'utf8' });
    if (result.error) {
      console.error(`promtool not found (${result.error.message}): install prometheus`);
      return 2;
    }
    process.stdout.write(result.stdout);
    process.stderr.write(result.stderr);
    if (result.status === 0) console.log(`${queries.length} dashboard queries parse`);
    return result.status ?? 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface QueryResponse {
  readonly status: string;
  readonly error?: string;
  readonly data?: { readonly result: readonly unknown[] };
}

async function checkLive(queries: readonly DashboardQuery[], prometheus: string): Promise<number> {
  let failed = 0;
  let empty = 0;
  for (const query of queries) {
    const url = new URL('/api/v1/query', prometheus);
    url.searchParams.set('query', query.resolved);
    const body = (await (await fetch(url)).json()) as QueryResponse;
    const where = `${query.file} "${query.panel}" ${query.refId}`;
    if (body.status !== 'success') {
      failed++;
      console.log(`FAIL  ${where}: ${body.error ?? body.status}\n      ${query.resolved}`);
    } else if ((body.data?.result.length ?? 0) === 0) {
      empty++;
      console.log(`EMPTY ${where}\n      ${query.resolved}`);
    }
  }
  console.log(
    `${queries.length} queries against ${prometheus}: ${failed} failed, ${empty} returned no series`,
  );
  return failed > 0 ? 1 : 0;
}

const { values } = parseArgs({ options: { prometheus: { type: 'string' } } });
const queries = dashboardQueries();
let code = checkSyntax(queries);
if (code === 0 && values.prometheus) code = await checkLive(queries, values.prometheus);
process.exitCode = code;
