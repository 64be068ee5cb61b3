import { z } from 'zod';

import { defineQuery, type Db } from '../db/sql-files.js';

/** A workspace as the claim (and a plain create) returns it. */
export const ClaimedRow = z.object({
  id: z.string(),
  name: z.string(),
  owner_id: z.string(),
  organization_id: z.string(),
  template_id: z.string(),
  created_at: z.date(),
  autostart_schedule: z.string().nullable(),
  next_start_at: z.date().nullable(),
  ttl: z.number().nullable(),
  last_used_at: z.date(),
});

export type ClaimedWorkspace = z.infer<typeof ClaimedRow>;

/** The claim's parameters, shared by ClaimPrebuiltWorkspace and ClaimPrebuiltWorkspaceWithBuild. */
// A type, not an interface: defineQuery's parameters must be assignable to a record.
export type ClaimParams = {
  preset_id: string;
  new_owner_id: string;
  new_name: string;
  autostart_schedule: string | null;
  next_start_at: Date | null;
  ttl_ms: number | null;
  now: Date;
};

const claimQuery = defineQuery<ClaimParams, typeof ClaimedRow>(
  'ClaimPrebuiltWorkspace',
  ClaimedRow,
  { prepared: true },
);

export interface ClaimRequest {
  readonly presetId: string;
  readonly ownerId: string;
  readonly name: string;
  readonly autostartSchedule: string | null;
  readonly nextStartAt: Date | null;
  readonly ttlMs: number | null;
  readonly now: Date;
}

/**
 * Moves one ready, unexpired prebuild of the preset (active version only) to the new owner in a
 * single statement, or returns null when none is free. Safe under any number of concurrent
 * claimers and against a concurrent reconciler delete (see sql/prebuilds/claim.sql). The caller
 * inserts the claim build in the same transaction.
 */
export async function claimPrebuiltWorkspace(
  db: Db,
  request: ClaimRequest,
): Promise<ClaimedWorkspace | null> {
  return claimQuery.maybeOne(db, {
    preset_id: request.presetId,
    new_owner_id: request.ownerId,
    new_name: request.name,
    autostart_schedule: request.autostartSchedule,
    next_start_at: request.nextStartAt,
    ttl_ms: request.ttlMs,
    now: request.now,
  });
}

const LockedRow = z.object({ id: z.string() });
const lockForDelete = defineQuery<{ workspace_id: string; now: Date }, typeof LockedRow>(
  'LockPrebuildForDelete',
  LockedRow,
);

/**
 * The ownership re-check before a reconciler delete, inside the transaction that inserts the
 * delete build: true when the workspace is still an unclaimed prebuild and is now reserved for
 * deletion (a claim can no longer take it); false when the delete must not proceed.
 */
export async function lockPrebuildForDelete(
  db: Db,
  workspaceId: string,
  now: Date,
): Promise<boolean> {
  return (await lockForDelete.maybeOne(db, { workspace_id: workspaceId, now })) !== null;
}
