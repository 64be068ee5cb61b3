import { randomUUID } from 'node:crypto';

import { sql } from 'slonik';
import { describe, expect, it } from 'vitest';

import { withTransaction } from '../../src/db/tx.js';
import { tryAcquireJob } from '../../src/jobs/acquirer.js';
import { tagsMatch } from '../../src/jobs/tags.js';
import { useTestDatabase } from '../helpers/db.js';
import { createJob, createUser, SYSTEM_USER_ID } from '../helpers/fixtures.js';

const db = useTestDatabase();

class Rollback extends Error {}

/** Runs `fn` in a transaction that always rolls back, with no other unfinished job visible. */
async function isolated(
  fn: (tx: Parameters<Parameters<typeof withTransaction>[2]>[0]) => Promise<void>,
) {
  await withTransaction(db.pool, {}, async (tx) => {
    await tx.query(
      sql.unsafe`UPDATE provisioner_jobs SET completed_at = now() WHERE completed_at IS NULL`,
    );
    await fn(tx);
    throw new Rollback();
  }).catch((error: unknown) => {
    if (!(error instanceof Rollback)) throw error;
  });
}

// job tags, daemon tags, taken?
const TAG_RULES: [Record<string, string>, Record<string, string>, boolean][] = [
  [{}, {}, true],
  [{}, { region: 'eu' }, false],
  [{ region: 'eu' }, { region: 'eu' }, true],
  [{ region: 'eu' }, { region: 'eu', gpu: 'true' }, true],
  [{ region: 'eu' }, { region: 'us' }, false],
  [{ region: 'eu' }, {}, false],
  [{ region: 'eu', gpu: 'true' }, { region: 'eu' }, false],
  [{ region: 'eu', gpu: 'true' }, { gpu: 'true', region: 'eu' }, true],
  [{ region: '' }, { region: '' }, true],
  [{ region: '' }, {}, false],
];

describe('AcquireProvisionerJob', () => {
  it.each(TAG_RULES)(
    'job tags %j, daemon tags %j: taken = %s',
    async (jobTags, daemonTags, taken) => {
      const user = await createUser(db.pool);
      await isolated(async (tx) => {
        const jobId = await createJob(tx, { initiatorId: user, state: 'pending', tags: jobTags });
        const job = await tryAcquireJob(tx, {
          now: new Date(),
          workerId: randomUUID(),
          provisioners: ['echo'],
          tags: daemonTags,
        });
        expect(job?.id ?? null).toBe(taken ? jobId : null);
        // The posting filter of the acquirer follows the same rule.
        expect(tagsMatch(jobTags, daemonTags)).toBe(taken);
      });
    },
  );

  it('takes human-initiated jobs before prebuild jobs, then the oldest first', async () => {
    const user = await createUser(db.pool);
    await isolated(async (tx) => {
      const t0 = Date.parse('2026-01-01T00:00:00Z');
      const prebuild = await createJob(tx, {
        initiatorId: SYSTEM_USER_ID,
        state: 'pending',
        createdAt: new Date(t0),
      });
      const humanLate = await createJob(tx, {
        initiatorId: user,
        state: 'pending',
        createdAt: new Date(t0 + 2000),
      });
      const humanEarly = await createJob(tx, {
        initiatorId: user,
        state: 'pending',
        createdAt: new Date(t0 + 1000),
      });
      const order: (string | undefined)[] = [];
      for (let i = 0; i < 4; i++) {
        const job = await tryAcquireJob(tx, {
          now: new Date(),
          workerId: randomUUID(),
          provisioners: ['echo'],
          tags: {},
        });
        order.push(job?.id);
      }
      expect(order).toEqual([humanEarly, humanLate, prebuild, undefined]);
    });
  });

  it('marks the job started by the worker, and skips canceled jobs and other provisioners', async () => {
    const user = await createUser(db.pool);
    await isolated(async (tx) => {
      await createJob(tx, { initiatorId: user, state: 'pending', provisioner: 'exec' });
      const canceled = await createJob(tx, { initiatorId: user, state: 'pending' });
      await tx.query(
        sql.unsafe`UPDATE provisioner_jobs SET canceled_at = now() WHERE id = ${canceled}`,
      );
      const worker = randomUUID();
      const now = new Date('2026-05-05T05:05:05Z');
      expect(
        await tryAcquireJob(tx, { now, workerId: worker, provisioners: ['echo'], tags: {} }),
      ).toBeNull();
      const exec = await tryAcquireJob(tx, {
        now,
        workerId: worker,
        provisioners: ['echo', 'exec'],
        tags: {},
      });
      expect(exec).toMatchObject({
        provisioner: 'exec',
        worker_id: worker,
        started_at: now,
        updated_at: now,
        job_status: 'running',
      });
    });
  });
});
