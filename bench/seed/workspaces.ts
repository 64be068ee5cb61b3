import type pg from 'pg';

import type { SeedShape } from './shape.js';

const SYSTEM = `'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid`;

/**
 * Plans every workspace and build in session temp tables (set-based, generate_series), then
 * writes jobs, workspaces, builds and agents with one INSERT ... SELECT each. Workspaces are
 * written in random order so prebuilds are spread over the table as in a real deployment.
 */
export async function seedWorkspaces(client: pg.Client, shape: SeedShape): Promise<void> {
  const P = shape.presets;
  const run = (text: string, values: unknown[] = []) => client.query(text, values);
  await run(`CREATE TEMP TABLE b_ws (
    id uuid NOT NULL DEFAULT gen_random_uuid(), kind text NOT NULL, g int NOT NULL,
    preset_id uuid, version_id uuid NOT NULL, template_id uuid NOT NULL, owner_id uuid NOT NULL,
    created_at timestamptz NOT NULL, deleted boolean NOT NULL DEFAULT false,
    ready boolean NOT NULL DEFAULT true)`);

  /** Prebuilds of `kind`: g in [0, count), preset number `presetOf` (SQL in g) of version vn. */
  const prebuilds = (
    kind: string,
    count: number,
    vn: string,
    presetOf: string,
    createdAt: string,
    extra: { ready?: string; deleted?: string } = {},
  ) =>
    run(
      `INSERT INTO b_ws (kind, g, preset_id, version_id, template_id, owner_id, created_at, ready, deleted)
       SELECT $1, g, p.id, p.version_id, p.template_id, ${SYSTEM}, ${createdAt},
              ${extra.ready ?? 'true'}, ${extra.deleted ?? 'false'}
       FROM generate_series(0, $2::int - 1) g
       JOIN b_preset p ON p.vn = ${vn} AND p.an = (${presetOf}) % ${P}`,
      [kind, Math.floor(count)],
    );

  const minutesAgo = (expr: string) => `now() - (${expr}) * interval '1 minute'`;
  await prebuilds(
    'running',
    P * shape.desired,
    '3',
    'g',
    `CASE WHEN g % 41 = 0 THEN now() - interval '2 days' ELSE ${minutesAgo('5 + (g * 7) % 600')} END`,
    { ready: 'g % 10 <> 0' },
  );
  await prebuilds('starting', P / 5, '3', 'g * 3', minutesAgo('1'));
  await prebuilds('old_running', P / 5, '2', 'g * 5', `now() - interval '11 days'`);
  await prebuilds('old_pending', Math.ceil(P / 20), '2', 'g * 7', minutesAgo('2'));
  await prebuilds('stopped', Math.ceil(P / 20), '3', 'g * 11', `now() - interval '5 hours'`);
  await prebuilds('failed', Math.ceil(P / 20), '3', 'g * 13', `now() - interval '2 hours'`);
  // Recent creation failures (history of deleted workspaces): every 20th preset backs off, every
  // 100th has 3 in a row and is hard-limited.
  await run(`INSERT INTO b_ws (kind, g, preset_id, version_id, template_id, owner_id, created_at, deleted)
             SELECT 'recent_fail', f, p.id, p.version_id, p.template_id, ${SYSTEM},
                    now() - (50 - 10 * f) * interval '1 minute', true
             FROM b_preset p CROSS JOIN generate_series(1, 3) f
             WHERE p.vn = 3 AND p.an % 20 = 0 AND f <= CASE WHEN p.an % 100 = 0 THEN 3 ELSE 2 END`);
  await prebuilds(
    'deleted_prebuild',
    shape.workspaces / 10,
    '2 + g % 2',
    'g',
    minutesAgo('60 + g % 43200'),
    {
      deleted: 'true',
    },
  );
  await run(
    `INSERT INTO b_ws (kind, g, preset_id, version_id, template_id, owner_id, created_at, deleted)
     SELECT 'claim_pool', g, c.id, c.version_id, c.template_id, ${SYSTEM},
            now() - interval '1 hour' + g * interval '1 second', false
     FROM generate_series(0, $1::int - 1) g CROSS JOIN b_claim c`,
    [shape.claimPool],
  );
  await run(
    `INSERT INTO b_ws (kind, g, preset_id, version_id, template_id, owner_id, created_at, deleted)
     SELECT 'claimed', g, p.id, p.version_id, p.template_id, u.id,
            ${minutesAgo('600 + g % 43200')}, g % 10 = 0
     FROM generate_series(0, $1::int - 1) g
     JOIN b_preset p ON p.vn = 2 + g % 2 AND p.an = (g * 3) % ${P}
     JOIN b_users u ON u.n = g % ${shape.users}`,
    [shape.workspaces / 5],
  );
  const { rows } = await run(`SELECT count(*)::int AS n FROM b_ws`);
  const regular = Math.max(0, shape.workspaces - (rows[0] as { n: number }).n);
  await run(
    `INSERT INTO b_ws (kind, g, version_id, template_id, owner_id, created_at, deleted)
     SELECT 'regular', g, t.active_version_id, t.id, u.id,
            now() - interval '2 days' - (g % 40000) * interval '1 minute', g % 10 = 0
     FROM generate_series(0, $1::int - 1) g
     JOIN (SELECT id, active_version_id, (row_number() OVER (ORDER BY name) - 1)::int AS tn
           FROM templates WHERE name LIKE 'tpl-%') t ON t.tn = g % ${shape.presets / 4}
     JOIN b_users u ON u.n = g % ${shape.users}`,
    [regular],
  );
  await seedBuilds(run);
}

type Run = (text: string, values?: unknown[]) => Promise<pg.QueryResult>;

async function seedBuilds(run: Run): Promise<void> {
  await run(`CREATE TEMP TABLE b_build (
    id uuid NOT NULL DEFAULT gen_random_uuid(), job_id uuid NOT NULL DEFAULT gen_random_uuid(),
    workspace_id uuid NOT NULL, num int NOT NULL, transition workspace_transition NOT NULL,
    initiator uuid NOT NULL, preset_id uuid, version_id uuid NOT NULL, state text NOT NULL,
    created_at timestamptz NOT NULL, reason build_reason NOT NULL)`);
  // Each row of `steps`: build number, transition, initiator (SQL), preset? (bool), state (SQL),
  // offset from the workspace's creation (SQL interval), reason; for the kinds listed.
  const add = (kinds: string[], steps: string) =>
    run(
      `INSERT INTO b_build (workspace_id, num, transition, initiator, preset_id, version_id, state, created_at, reason)
       SELECT w.id, s.num, s.transition::workspace_transition, s.initiator,
              CASE WHEN s.with_preset THEN w.preset_id END, w.version_id, s.state,
              w.created_at + s.offset_by, s.reason::build_reason
       FROM b_ws w
       CROSS JOIN LATERAL (VALUES ${steps}) s(num, transition, initiator, with_preset, state, offset_by, reason)
       WHERE w.kind = ANY($1::text[])`,
      [kinds],
    );
  const create = (state: string) =>
    `(1, 'start', ${SYSTEM}, true, ${state}, interval '0', 'prebuild')`;
  await add(['running', 'old_running', 'claim_pool'], create(`'succeeded'`));
  await add(['starting', 'old_pending'], create(`'pending'`));
  await add(['failed', 'recent_fail'], create(`'failed'`));
  await add(
    ['stopped'],
    `${create(`'succeeded'`)}, (2, 'stop', ${SYSTEM}, false, 'succeeded', interval '3 hours', 'initiator')`,
  );
  await add(
    ['deleted_prebuild'],
    `${create(`CASE WHEN w.g % 17 = 0 THEN 'failed' ELSE 'succeeded' END`)},
     (2, 'delete', ${SYSTEM}, false, 'succeeded', interval '6 hours', 'prebuild')`,
  );
  await add(
    ['claimed'],
    `${create(`'succeeded'`)},
     (2, 'start', w.owner_id, true, 'succeeded', interval '1 hour', 'claim'),
     (3, 'stop', w.owner_id, false, 'succeeded', interval '9 hours', 'autostop')`,
  );
  await add(
    ['regular'],
    `(1, 'start', w.owner_id, false, 'succeeded', interval '0', 'initiator'),
     (2, 'stop', w.owner_id, false, 'succeeded', interval '8 hours', 'autostop'),
     (3, 'start', w.owner_id, false, 'succeeded', interval '1 day', 'autostart'),
     (4, 'stop', w.owner_id, false, 'succeeded', interval '32 hours', 'autostop')`,
  );

  await run(`INSERT INTO provisioner_jobs (id, organization_id, initiator_id, provisioner,
               created_at, updated_at, started_at, completed_at, error)
             SELECT b.job_id, (SELECT id FROM organizations WHERE name = 'default'), b.initiator,
                    'echo', b.created_at, b.created_at,
                    CASE WHEN b.state <> 'pending' THEN b.created_at END,
                    CASE WHEN b.state = 'succeeded' THEN b.created_at + interval '2 minutes'
                         WHEN b.state = 'failed' THEN b.created_at + interval '1 minute' END,
                    CASE WHEN b.state = 'failed' THEN 'build failed' END
             FROM b_build b ORDER BY b.created_at`);
  await run(`INSERT INTO workspaces (id, created_at, updated_at, owner_id, organization_id,
               template_id, deleted, name, last_used_at)
             SELECT w.id, w.created_at, w.created_at, w.owner_id,
                    (SELECT id FROM organizations WHERE name = 'default'), w.template_id, w.deleted,
                    'ws-' || w.kind || '-' || w.g || CASE WHEN w.kind = 'recent_fail' THEN '-' || left(w.id::text, 8) ELSE '' END,
                    w.created_at
             FROM b_ws w ORDER BY random()`);
  await run(`INSERT INTO workspace_builds (id, created_at, updated_at, workspace_id,
               template_version_id, build_number, transition, initiator_id, job_id, reason,
               template_version_preset_id)
             SELECT id, created_at, created_at, workspace_id, version_id, num, transition,
                    initiator, job_id, reason, preset_id
             FROM b_build ORDER BY created_at`);
  await run(`INSERT INTO workspace_agents (workspace_id, workspace_build_id, name, lifecycle_state)
             SELECT b.workspace_id, b.id, 'main',
                    CASE WHEN w.ready THEN 'ready' ELSE 'starting' END::workspace_agent_lifecycle_state
             FROM b_build b JOIN b_ws w ON w.id = b.workspace_id
             WHERE b.transition = 'start' AND b.state = 'succeeded'
             ORDER BY b.created_at`);
}
