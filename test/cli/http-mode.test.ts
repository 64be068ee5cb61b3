import { writeFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { FEATURES } from '../../src/service/features.js';
import { createToken } from '../../src/tokens/store.js';
import { packageRoot } from '../../src/util/paths.js';
import { buildTestApp, TEST_TOKEN, type TestApp } from '../helpers/app.js';
import { type CliResult, runCli } from '../helpers/cli.js';
import { useTestDatabase } from '../helpers/db.js';
import { freePort } from '../helpers/net.js';

/**
 * The CLI against a running controller: with PREBUILD_CONTROLLER_URL and a token, and NO
 * DATABASE_URL in its environment, every command answers as it does on the database.
 */
const db = useTestDatabase();
let controller: TestApp;
let url: string;
const scratch = mkdtempSync(join(tmpdir(), 'cli-http-'));
const tokenFile = join(scratch, 'token');
writeFileSync(tokenFile, `${TEST_TOKEN}\n`);

beforeAll(async () => {
  controller = await buildTestApp(db, FEATURES);
  const port = await freePort();
  await controller.app.listen({ host: '127.0.0.1', port });
  url = `http://127.0.0.1:${port}`;
}, 60_000);
afterAll(async () => {
  await controller?.close();
  rmSync(scratch, { recursive: true, force: true });
});

/** Over HTTP: URL and token from the environment, no database settings at all. */
const http = (...args: string[]) =>
  runCli(args, { PREBUILD_CONTROLLER_URL: url, PREBUILD_CONTROLLER_TOKEN: TEST_TOKEN });
/** On the database, as before. */
const direct = (...args: string[]) => runCli(args, { DATABASE_URL: db.url });

const ok = (result: CliResult) => {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result.stdout;
};

/** Both modes print the same. */
/** The line saying which decision settings were used differs by mode, by design. */
const withoutDecisionLine = (result: CliResult): CliResult => ({
  ...result,
  stdout: result.stdout.replace(/^decision settings: .*\n/m, ''),
});

async function same(...args: string[]) {
  const [overHttp, onDatabase] = [await http(...args), await direct(...args)];
  expect(withoutDecisionLine(overHttp)).toEqual(withoutDecisionLine(onDatabase));
  return overHttp.stdout;
}

/** Both modes print the same JSON, but for the instant it was computed at (`at`). */
async function sameJson(...args: string[]) {
  const [overHttp, onDatabase] = [await http(...args, '--json'), await direct(...args, '--json')];
  const parse = (result: CliResult) => {
    const body = JSON.parse(ok(result)) as Record<string, unknown>;
    delete body.at;
    delete body.decision_settings;
    return body;
  };
  expect(parse(overHttp)).toEqual(parse(onDatabase));
  return parse(overHttp);
}

describe('the CLI over HTTP', () => {
  it(
    'runs template, users, prebuilds, claim, workspaces and jobs commands with the same output',
    { timeout: 600_000 },
    async () => {
      const quickstart = join(packageRoot, 'examples', 'quickstart.yaml');
      expect(ok(await http('template', 'push', quickstart))).toBe(
        'created template default/quickstart; version v1 is active\n',
      );
      // Unchanged content says so alike, in both modes.
      expect(await same('template', 'push', quickstart)).toContain('is unchanged');
      expect(await same('template', 'push', '--dry-run', quickstart)).toContain('is unchanged');
      expect(await same('template', 'list')).toContain('quickstart');
      expect(JSON.parse(await same('template', 'list', '--json'))).toMatchObject({
        templates: [{ name: 'quickstart' }],
      });

      expect(ok(await http('users', 'create', 'alice', '--email', 'alice@example.com'))).toMatch(
        /^created user alice \([0-9a-f-]{36}\)\n$/,
      );
      expect(await same('users', 'list')).toMatch(
        /^USERNAME\s+STATUS\s+ROLES\s+ID\nalice\s+active/,
      );
      await same('users', 'list', '--json');
      expect(ok(await http('users', 'suspend', 'alice'))).toBe('user alice is suspended\n');
      expect(ok(await http('users', 'activate', 'alice'))).toBe('user alice is active\n');

      expect(await same('prebuilds', 'status')).toContain('small');
      await sameJson('prebuilds', 'status');
      await same('prebuilds', 'plan');
      await sameJson('prebuilds', 'plan');
      expect(ok(await http('prebuilds', 'pause'))).toBe('prebuild reconciliation paused\n');
      expect(JSON.parse(ok(await http('prebuilds', 'resume', '--json')))).toEqual({
        paused: false,
        changed_by: 'bootstrap',
      });
      expect(await same('prebuilds', 'invalidate', 'quickstart/small')).toBe(
        'preset default/quickstart/small (v1) invalidated: its prebuilds created before now will be replaced\n',
      );
      await same('prebuilds', 'reset', 'default/quickstart/small');

      const claimed = JSON.parse(
        ok(await http('claim', '--preset', 'small', '--user', 'alice', '--name', 'dev', '--json')),
      );
      expect(claimed).toMatchObject({ claimed: false, workspace: { owner: 'alice', name: 'dev' } });
      expect(await same('workspaces', 'show', 'alice/dev')).toContain(
        `workspace alice/dev (${claimed.workspace.id})`,
      );
      await same('workspaces', 'show', claimed.workspace.id, '--json');
      await same('workspaces', 'list', '--owner', 'alice');
      await same('workspaces', 'list', '--limit', '2', '--json');
      expect(ok(await http('workspaces', 'ttl', 'alice/dev', '4h'))).toContain('alice/dev');
      expect(JSON.parse(ok(await http('workspaces', 'show', 'alice/dev', '--json')))).toMatchObject(
        {
          ttl_ms: 4 * 3_600_000,
        },
      );
      expect(
        ok(
          await http(
            'workspaces',
            'create',
            'second',
            '--owner',
            'alice',
            '--template',
            'quickstart',
          ),
        ),
      ).toMatch(/created workspace alice\/second/);

      const job = claimed.build.job_id as string;
      expect(await same('jobs', 'show', job)).toContain(`job ${job}\n  status:      pending\n`);
      await same('jobs', 'show', job, '--json');
      await same('jobs', 'logs', job);
      expect(ok(await http('jobs', 'cancel', job))).toBe(`job ${job} canceled\n`);
      const again = await same('jobs', 'cancel', job);
      expect(again).toBe('');
    },
  );

  it('shows API errors as the same one-line errors', { timeout: 120_000 }, async () => {
    const missing = await http('workspaces', 'show', 'nobody/nothing');
    expect(missing).toEqual(await direct('workspaces', 'show', 'nobody/nothing'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^prebuild-controller: .+\n$/);
    const badUser = await http('users', 'create', 'bad name');
    expect(badUser).toEqual(await direct('users', 'create', 'bad name'));
    expect(badUser.code).toBe(1);
  });

  it(
    'takes the URL and token from flags or a token file, and says when it cannot',
    { timeout: 120_000 },
    async () => {
      expect(ok(await runCli(['users', 'list', '--url', url, '--token-file', tokenFile]))).toMatch(
        /^USERNAME/,
      );
      const wrong = await runCli(['users', 'list', '--url', url, '--token', 'wrong-token-123']);
      expect(wrong).toMatchObject({
        code: 1,
        stdout: '',
        stderr: 'prebuild-controller: invalid API token\n',
      });
      // A flag wins over the environment.
      expect(
        ok(
          await runCli(['users', 'list', '--token', TEST_TOKEN], {
            PREBUILD_CONTROLLER_URL: url,
            PREBUILD_CONTROLLER_TOKEN: 'wrong-token-123',
          }),
        ),
      ).toMatch(/^USERNAME/);
      const closed = await runCli([
        'users',
        'list',
        '--url',
        `http://127.0.0.1:${await freePort()}`,
      ]);
      expect(closed.code).toBe(1);
      expect(closed.stderr).toMatch(
        /^prebuild-controller: cannot reach the controller at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED\n$/,
      );
      const bad = await runCli(['users', 'list', '--url', 'ftp://example.com']);
      expect(bad).toMatchObject({
        code: 2,
        stderr:
          'prebuild-controller: --url: "ftp://example.com" must be an http:// or https:// URL\n',
      });
    },
  );

  it('pushes a literal exec command only with an admin token', { timeout: 300_000 }, async () => {
    const file = join(scratch, 'literal.yaml');
    writeFileSync(
      file,
      'name: literal-exec\nprovisioner: exec\nexec:\n  command: ./build.sh --all\n',
    );
    const { token } = await createToken(
      db.pool,
      { name: 'ci-templates', role: 'template-admin', createdBy: 'test' },
      new Date(),
    );
    const refused = await runCli(['template', 'push', file], {
      PREBUILD_CONTROLLER_URL: url,
      PREBUILD_CONTROLLER_TOKEN: token,
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      "prebuild-controller: exec.command: a literal command in a template needs an admin token; name one of the daemons' commands instead (exec.command: NAME, defined with --exec-command NAME=COMMAND)\n",
    );
    // A named command is the template-admin's to choose.
    const named = join(scratch, 'named.yaml');
    writeFileSync(named, 'name: named-exec\nprovisioner: exec\nexec:\n  command: build\n');
    expect(
      ok(
        await runCli(['template', 'push', named], {
          PREBUILD_CONTROLLER_URL: url,
          PREBUILD_CONTROLLER_TOKEN: token,
        }),
      ),
    ).toBe('created template default/named-exec; version v1 is active\n');
    expect(ok(await http('template', 'push', file))).toBe(
      'created template default/literal-exec; version v1 is active\n',
    );
  });
});
