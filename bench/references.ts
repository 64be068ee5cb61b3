/**
 * The bare-SQL references: the least a statement for the same hot path can do on the same schema,
 * run by plain pg clients (autocommit: statement + commit) at the same concurrency as ours. Our
 * figures are printed as a ratio of these, measured in the same run on the same server.
 */

const SYSTEM = `'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid`;

/**
 * A claim with nothing but the pool walk and the lock: the template's oldest unlocked prebuild
 * (same partial index, workspaces_prebuilds), handed to the owner. No version, preset, build,
 * agent or expiry checks. $1 owner, $2 name, $3 template.
 */
export const BARE_CLAIM = `UPDATE workspaces SET owner_id = $1::uuid, name = $2::text, updated_at = now()
WHERE id = (
  SELECT id FROM workspaces
  WHERE template_id = $3::uuid AND owner_id = ${SYSTEM} AND NOT deleted
  ORDER BY template_id, created_at
  LIMIT 1
  FOR UPDATE SKIP LOCKED
)
RETURNING id`;

/**
 * An acquisition with nothing but the queue walk and the lock (same partial index,
 * provisioner_jobs_pending): no provisioner or tag matching, no row returned but the id.
 * $1 worker id.
 */
export const BARE_ACQUIRE = `UPDATE provisioner_jobs SET started_at = now(), updated_at = now(), worker_id = $1::uuid
WHERE id = (
  SELECT id FROM provisioner_jobs
  WHERE started_at IS NULL AND completed_at IS NULL AND canceled_at IS NULL
  ORDER BY (initiator_id = ${SYSTEM}), created_at
  LIMIT 1
  FOR UPDATE SKIP LOCKED
)
RETURNING id`;
