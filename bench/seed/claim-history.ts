import type pg from 'pg';

import type { SeedShape } from './shape.js';

/** Recorded claim attempts per workspace: 10, so 1M at 100k workspaces. */
export const CLAIM_EVENTS_PER_WORKSPACE = 10;

/**
 * Autoscaling on the active versions, and the claim history it reads (after seedCatalog, whose
 * b_preset it uses): a quarter of the active presets get an expression
 * (`max(scheduled_target, ceil(claim_rate_30m * 8))`), another quarter a forecast
 * (`target_hit_rate: 0.95, max: 30, history: 28d, lead_time: auto`); the presets with schedules
 * keep them and no policy. `CLAIM_EVENTS_PER_WORKSPACE` x workspaces attempts (80 % hits) spread
 * uniformly over the last 35 days (the default retention) across every active preset.
 */
export async function seedClaimHistory(client: pg.Client, shape: SeedShape): Promise<number> {
  const run = (text: string, values: unknown[] = []) => client.query(text, values);
  await run(
    `UPDATE template_version_presets tvp
     SET autoscaling = CASE p.an % 4
       WHEN 1 THEN '{"expression": "max(scheduled_target, ceil(claim_rate_30m * 8))"}'::jsonb
       ELSE '{"forecast": {"target_hit_rate": 0.95, "max": 30, "history": "28d", "lead_time": "auto"}}'::jsonb
     END
     FROM b_preset p
     WHERE p.id = tvp.id AND p.vn = 3 AND p.an % 4 IN (1, 2)`,
  );
  const events = shape.workspaces * CLAIM_EVENTS_PER_WORKSPACE;
  await run(
    `INSERT INTO prebuild_claim_attempts (template_id, preset_name, preset_id, at, outcome)
     SELECT p.template_id, 'preset-' || p.pn, p.id,
            now() - random() * interval '35 days',
            CASE WHEN random() < 0.8 THEN 'hit' ELSE 'miss' END
     FROM generate_series(0, $1::int - 1) g
     JOIN b_preset p ON p.vn = 3 AND p.an = g % $2::int`,
    [events, shape.presets],
  );
  return events;
}
