-- Covering indexes for the prebuild reconciler's snapshot and the claim (bench/ measures them).
-- Each pass reads every live prebuild's latest build, that build's agents, and the prebuild row
-- itself; with these the three lookups are index-only scans (no heap visit), about a quarter off
-- the snapshot at 100k workspaces.

-- Prebuild workspaces, now carrying what the snapshot reads of them, so it need not visit the
-- table. Same name and key as before (the claim walks it in created_at order per template).
DROP INDEX workspaces_prebuilds;
CREATE INDEX workspaces_prebuilds ON workspaces (template_id, created_at) INCLUDE (id, name, owner_id)
WHERE owner_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid AND NOT deleted;

-- A workspace's latest build with what the snapshot reads of it.
CREATE INDEX workspace_builds_latest ON workspace_builds (workspace_id, build_number DESC)
INCLUDE (id, job_id, transition, template_version_id, template_version_preset_id);

-- Readiness of a build's agents.
CREATE INDEX workspace_agents_build_state ON workspace_agents (workspace_build_id)
INCLUDE (lifecycle_state) WHERE NOT deleted;
