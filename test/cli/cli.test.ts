import type { Command } from 'commander';
import pg from 'pg';
import { describe, expect, it } from 'vitest';

import { buildProgram } from '../../src/cli/main.js';
import { runCli } from '../helpers/cli.js';
import { createEmptyDatabase } from '../helpers/db.js';

describe('prebuild-controller CLI', () => {
  it('prints help for the program and every command', async () => {
    const top = await runCli(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/Usage: prebuild-controller/);
    for (const command of ['run', 'migrate']) {
      const help = await runCli([command, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`Usage: prebuild-controller ${command}`));
    }
  });

  it('rejects an unknown flag with one line and exit code 2', async () => {
    const result = await runCli(['migrate', '--bogus']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("prebuild-controller: unknown option '--bogus' (see --help)\n");
  });

  it('rejects an unknown command', async () => {
    const result = await runCli(['frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^prebuild-controller: unknown command 'frobnicate'/);
  });

  it('rejects invalid configuration with one line naming the setting, exit code 2', async () => {
    const result = await runCli(['migrate'], { DATABASE_URL: 'not a url' });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'prebuild-controller: invalid configuration: DATABASE_URL (flag --database-url): must be a URL like postgres://user:password@host:5432/database\n',
    );
    const flag = await runCli(['run', '--reconcile-interval', 'often']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(
      /^prebuild-controller: invalid configuration: --reconcile-interval/,
    );
  });

  it('reports an unreachable database in one line with exit code 1', async () => {
    const result = await runCli(['migrate'], {
      DATABASE_URL: 'postgres://someone:hunter2@127.0.0.1:1/nothing',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^prebuild-controller: cannot connect to PostgreSQL at postgres:\/\/someone:\*\*\*@127\.0\.0\.1:1\/nothing: .*ECONNREFUSED/,
    );
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).not.toContain('hunter2');
  });

  it('has --json on every command that prints a result', () => {
    const leaves: Command[] = [];
    const walk = (command: Command) => {
      if (command.commands.length === 0) leaves.push(command);
      command.commands.forEach(walk);
    };
    walk(buildProgram());
    const path = (command: Command): string =>
      command.parent?.parent ? `${path(command.parent)} ${command.name()}` : command.name();
    // Daemons print logs; `template schema` prints JSON already.
    const exempt = ['run', 'provisionerd', 'template schema'];
    const missing = leaves
      .filter((command) => !exempt.includes(path(command)))
      .filter((command) => !command.options.some((option) => option.long === '--json'))
      .map(path);
    expect(missing).toEqual([]);
    expect(leaves.length).toBeGreaterThan(30);
  });

  it('migrates, then refuses a database whose applied migration was edited', async () => {
    const db = await createEmptyDatabase();
    try {
      const first = await runCli(['migrate'], { DATABASE_URL: db.url });
      expect(first.code).toBe(0);
      expect(first.stdout).toMatch(/^applied \d+ migration\(s\)/);
      const again = await runCli(['migrate'], { DATABASE_URL: db.url });
      expect(again.stdout).toMatch(/is up to date/);
      const json = await runCli(['migrate', '--json'], { DATABASE_URL: db.url });
      expect(JSON.parse(json.stdout)).toEqual({ database: expect.any(String), applied: [] });
      // Equivalent to editing 0001 after it was applied: the recorded checksum no longer matches.
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      await client.query(`UPDATE schema_migrations SET checksum = 'x' WHERE version = 1`);
      await client.end();
      const edited = await runCli(['migrate'], { DATABASE_URL: db.url });
      expect(edited.code).toBe(1);
      expect(edited.stderr).toMatch(
        /^prebuild-controller: migration 0001_core\.sql was edited after it was applied/,
      );
    } finally {
      await db.drop();
    }
  });
});
