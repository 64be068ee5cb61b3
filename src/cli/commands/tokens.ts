import type { Command } from 'commander';

import { ROLES } from '../../tokens/roles.js';
import { createToken, listTokens, revokeToken, tokenJson } from '../../tokens/store.js';
import { systemClock } from '../../util/clock.js';
import { parseDuration } from '../../util/duration.js';
import { formatTable, withDatabase } from '../database.js';
import { CliError } from '../errors.js';
import { cliPrincipal } from '../principal.js';
import { addSettings, DATABASE_SETTINGS } from '../options.js';

/** `tokens create|list|revoke`: scoped API tokens, always straight in the database. */
export function registerTokens(program: Command): void {
  const tokens = program
    .command('tokens')
    .description(
      'create, list and revoke scoped API tokens (in the database; see docs/security.md)',
    );

  addSettings(
    tokens
      .command('create')
      .description('create a token and print it once (only its hash is stored)')
      .requiredOption(
        '--name <name>',
        'name recorded with what the token does (unique among live tokens)',
      )
      .requiredOption('--role <role>', `role: ${ROLES.join(', ')}`)
      .option('--expires <duration>', 'expire after this long (e.g. 90d); default never')
      .option('--created-by <who>', 'who asked for it (default cli:<OS user>)')
      .option('--json', 'print the token and its record as JSON'),
    DATABASE_SETTINGS,
  ).action(async (flags: Record<string, unknown>) => {
    const now = systemClock.now();
    let expiresAt: Date | undefined;
    if (typeof flags.expires === 'string') {
      const ms = parseDuration(flags.expires);
      if (ms === undefined || ms <= 0) {
        throw new CliError(
          `--expires: "${flags.expires}" is not a positive duration (examples: 12h, 90d)`,
          2,
        );
      }
      expiresAt = new Date(now.getTime() + ms);
    }
    if (!(ROLES as readonly string[]).includes(String(flags.role))) {
      throw new CliError(`--role: "${String(flags.role)}" must be one of ${ROLES.join(', ')}`, 2);
    }
    const { token, row } = await withDatabase(flags, ({ pool }) =>
      createToken(
        pool,
        {
          name: String(flags.name),
          role: String(flags.role),
          createdBy: typeof flags.createdBy === 'string' ? flags.createdBy : cliPrincipal(),
          ...(expiresAt ? { expiresAt } : {}),
        },
        now,
      ),
    );
    if (flags.json) {
      process.stdout.write(JSON.stringify({ token, ...tokenJson(row, now) }) + '\n');
      return;
    }
    const expiry = row.expires_at ? `expires ${row.expires_at.toISOString()}` : 'never expires';
    process.stdout.write(
      `${token}\n` +
        `created token "${row.name}" with role ${row.role} (${expiry}); it is shown only now\n`,
    );
  });

  addSettings(
    tokens
      .command('list')
      .description('list tokens (never their text): live, expired and revoked')
      .option('--json', 'print JSON'),
    DATABASE_SETTINGS,
  ).action(async (flags: Record<string, unknown>) => {
    const now = systemClock.now();
    const rows = await withDatabase(flags, ({ pool }) => listTokens(pool));
    if (flags.json) {
      process.stdout.write(JSON.stringify({ tokens: rows.map((r) => tokenJson(r, now)) }) + '\n');
      return;
    }
    process.stdout.write(
      formatTable(
        ['NAME', 'ROLE', 'STATE', 'CREATED BY', 'CREATED', 'LAST USED', 'EXPIRES'],
        rows.map((r) => {
          const json = tokenJson(r, now);
          return [
            json.name,
            json.role,
            json.state,
            json.created_by,
            json.created_at,
            json.last_used_at ?? '-',
            json.expires_at ?? 'never',
          ];
        }),
      ),
    );
  });

  addSettings(
    tokens
      .command('revoke')
      .description('revoke a live token (by name or id): it is refused from now on')
      .argument('<token>', 'token name or id')
      .option('--json', "print the revoked token's record as JSON"),
    DATABASE_SETTINGS,
  ).action(async (ref: string, flags: Record<string, unknown>) => {
    const row = await withDatabase(flags, ({ pool }) => revokeToken(pool, ref, systemClock.now()));
    process.stdout.write(
      flags.json === true
        ? JSON.stringify(tokenJson(row, systemClock.now())) + '\n'
        : `revoked token "${row.name}" (${row.role})\n`,
    );
  });
}
