import type { Command } from 'commander';

import { usersClient } from '../backends/users.js';
import { formatTable } from '../database.js';
import { addClientSettings, DATABASE_SETTINGS } from '../options.js';

export function registerUsers(program: Command): void {
  const users = program.command('users').description('create, list, suspend and activate users');

  addClientSettings(
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
    const user = await usersClient(flags).create({
      username,
      ...(typeof flags.email === 'string' ? { email: flags.email } : {}),
      roles: flags.role as string[],
    });
    process.stdout.write(
      flags.json ? JSON.stringify(user) + '\n' : `created user ${user.username} (${user.id})\n`,
    );
  });

  addClientSettings(
    users.command('list').description('list users').option('--json', 'print JSON'),
    DATABASE_SETTINGS,
  ).action(async (flags: Record<string, unknown>) => {
    const all = await usersClient(flags).list();
    if (flags.json) {
      process.stdout.write(JSON.stringify({ users: all }) + '\n');
      return;
    }
    process.stdout.write(
      formatTable(
        ['USERNAME', 'STATUS', 'ROLES', 'ID'],
        all.map((u) => [u.username, u.status, u.roles.join(',') || '-', u.id]),
      ),
    );
  });

  for (const name of ['suspend', 'activate'] as const) {
    addClientSettings(
      users
        .command(name)
        .description(`${name} a user (by username or id)`)
        .argument('<user>')
        .option('--json', 'print the user as JSON'),
      DATABASE_SETTINGS,
    ).action(async (ref: string, flags: Record<string, unknown>) => {
      const user = await usersClient(flags).setStatus(ref, name);
      process.stdout.write(
        flags.json ? JSON.stringify(user) + '\n' : `user ${user.username} is ${user.status}\n`,
      );
    });
  }
}
