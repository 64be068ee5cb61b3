-- Covering indexes for the prebuild reconciler's snapshot and the claim (bench/ measures them).
-- Each pass reads every live prebuild's row, its latest build, that build's job and agents; with
-- these the four lookups are index-only scans (no heap visit), about a third off the snapshot's
-- main query at 100k workspaces.

-- Prebuild workspaces, now carrying what the snapshot reads of them, so it need not visit the
-- table. Same name and key as before (the claim walks it in created_at order per template).
DROP INDEX workspaces_prebuilds;
CREATE INDEX workspaces_prebuilds ON workspaces (template_id, created_at) INCLUDE (id, name, owner_id)
WHERE owner_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'::uuid AND NOT deleted;

-- A workspace's latest build with what the snapshot reads of it.
CREATE INDEX workspace_builds_latest ON workspace_builds (workspace_id, build_number DESC)
INCLUDE (id, job_id, transition, template_version_id, template_version_preset_id);

-- A job's outcome without visiting the table: the snapshot, the claim, backoff and the hard limit
-- look up a few thousand jobs by id per pass only to read these two columns. Updates that set
-- them are not HOT anyway (the pending and unfinished partial indexes depend on the same columns).
CREATE INDEX provisioner_jobs_outcome ON provisioner_jobs (id) INCLUDE (job_status, completed_at);

-- Readiness of a build's agents.
CREATE INDEX workspace_agents_build_state ON workspace_agents (workspace_build_id)
INCLUDE (lifecycle_state) WHERE NOT deleted;
