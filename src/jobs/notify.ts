import { z } from 'zod';

import type { Channel } from '../db/channels.js';
import { type Db, defineQuery } from '../db/sql-files.js';

const Sent = z.object({ sent: z.number() });
const notifyQuery = defineQuery<{ channel: string; payloads: string[] }, typeof Sent>(
  'JobsNotify',
  Sent,
);

/**
 * Sends one NOTIFY per payload (JSON) in one statement. Inside a transaction PostgreSQL delivers
 * them at commit, and not at all on rollback.
 */
export async function notify(db: Db, channel: Channel, payloads: readonly object[]): Promise<void> {
  if (payloads.length === 0) return;
  await notifyQuery.one(db, {
    channel,
    payloads: payloads.map((payload) => JSON.stringify(payload)),
  });
}

/** The payload of CHANNELS.jobCompleted. */
export interface JobCompletedPayload {
  readonly job_id: string;
  readonly workspace_id: string | null;
  readonly preset_id?: string | null;
  readonly status: string;
  readonly transition?: string | null;
}
