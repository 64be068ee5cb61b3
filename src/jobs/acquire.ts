import { type Db, defineQuery } from '../db/sql-files.js';
import { JobRow, type ProvisionerType, type Tags } from './model.js';

const acquireQuery = defineQuery<
  { now: Date; worker_id: string; provisioners: ProvisionerType[]; tags: Tags },
  typeof JobRow
>('AcquireProvisionerJob', JobRow, { prepared: true });

/**
 * The acquisition statement on its own: takes one job or returns null. The Acquirer decides when
 * to call it; tests and benchmarks call it directly.
 */
export function tryAcquireJob(
  db: Db,
  params: { now: Date; workerId: string; provisioners: readonly ProvisionerType[]; tags: Tags },
): Promise<JobRow | null> {
  return acquireQuery.maybeOne(db, {
    now: params.now,
    worker_id: params.workerId,
    provisioners: [...params.provisioners],
    tags: params.tags,
  });
}
