import type { Command } from 'commander';

import { changeUserStatus, createUser, listUsers, userJson } from '../../users/users.js';
import { systemClock } from '../../util/clock.js';
import { formatTable, withDatabase } from '../database.js';
import { addSettings, DATABASE_SETTINGS } from '../options.js';

export function registerUsers(program: Command): void {
  const users = program.command('users').description('create, list, suspend and activate users');

  addSettings(
    users
      .command('create')
      .description('create a user')
      .argument('<username>')
      .option('--email <email>', 'email address')
      .option(
        '--role <role>',
        'role to grant (template-admin); repeatable',
        (v, all: string[]) => [...all, v],
        [],
      )
      .option('--json', 'print the user as JSON'),
    DATABASE_SETTINGS,
  ).action(async (username: string, flags: Record<string, unknown>) => {
    const user = await withDatabase(flags, ({ pool }) =>
      createUser(
        pool,
        {
          username,
          ...(typeof flags.email === 'string' ? { email: flags.email } : {}),
          roles: flags.role as string[],
        },
        systemClock.now(),
      ),
    );
    process.stdout.write(
      flags.json
        ? JSON.stringify(userJson(user)) + '\n'
        : `created user ${user.username} (${user.id})\n`,
    );
  });

  addSettings(
    users.command('list').description('list users').option('--json', 'print JSON'),
    DATABASE_SETTINGS,
  ).action(async (flags: Record<string, unknown>) => {
    const all = await withDatabase(flags, ({ pool }) => listUsers(pool));
    if (flags.json) {
      process.stdout.write(JSON.stringify({ users: all.map(userJson) }) + '\n');
      return;
    }
    process.stdout.write(
      formatTable(
        ['USERNAME', 'STATUS', 'ROLES', 'ID'],
        all.map((u) => [u.username, u.status, u.roles.join(',') || '-', u.id]),
      ),
    );
  });

  for (const [name, status] of [
    ['suspend', 'suspended'],
    ['activate', 'active'],
  ] as const) {
    addSettings(
      users
        .command(name)
        .description(`${name} a user (by username or id)`)
        .argument('<user>')
        .option('--json', 'print the user as JSON'),
      DATABASE_SETTINGS,
    ).action(async (ref: string, flags: Record<string, unknown>) => {
      const user = await withDatabase(flags, ({ pool }) =>
        changeUserStatus(pool, ref, status, systemClock.now()),
      );
      process.stdout.write(
        flags.json
          ? JSON.stringify(userJson(user)) + '\n'
          : `user ${user.username} is ${user.status}\n`,
      );
    });
  }
}
