import { randomUUID } from 'node:crypto';

import { afterEach, describe, expect, it } from 'vitest';

import { loadConfig } from '../../src/config/load.js';
import { jobsFeature } from '../../src/jobs/feature.js';
import { silentLogger } from '../../src/log/logger.js';
import { type RunningController, startController } from '../../src/service/controller.js';
import { FEATURES } from '../../src/service/features.js';
import { useTestDatabase } from '../helpers/db.js';
import { strictResponseCheck } from '../helpers/response-contract.js';
import { createTarget, enqueue, waitForJob } from './helpers.js';

const db = useTestDatabase();
let controller: RunningController | undefined;
afterEach(async () => {
  await controller?.stop();
  controller = undefined;
});

async function start(settings: Record<string, string>) {
  const config = loadConfig(
    {
      databaseUrl: db.url,
      listen: '127.0.0.1:0',
      apiToken: 'feature-token',
      shutdownTimeout: '2s',
      ...settings,
    },
    {},
  );
  controller = await startController({
    config,
    logger: silentLogger(),
    features: [jobsFeature],
    checkResponse: strictResponseCheck,
  });
  return controller;
}

describe('jobs feature in `run`', () => {
  it('is one of the features run hosts', () => {
    expect(FEATURES).toContain(jobsFeature);
  });

  it('runs builds in-process, serves the job API and the queue metrics', async () => {
    const tags = { feature: randomUUID().slice(0, 8) };
    const running = await start({ provisionerTags: `feature=${tags.feature}`, echoDuration: '0s' });
    const { job } = await enqueue(db.pool, await createTarget(db.pool, { tags }));
    expect(await waitForJob(db.pool, job.id)).toMatchObject({ job_status: 'succeeded' });

    const shown = await running.app.inject({
      method: 'GET',
      url: `/api/v1/jobs/${job.id}`,
      headers: { authorization: 'Bearer feature-token' },
    });
    expect(shown.json()).toMatchObject({ id: job.id, status: 'succeeded' });

    // A job nobody takes (no daemon has its tags) shows in the queue depth.
    await enqueue(db.pool, await createTarget(db.pool, { tags: { nobody: randomUUID() } }));
    const metrics = await running.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(
      /coderd_provisioner_job_queue_depth\{provisioner="echo",status="pending"\} [1-9]\d*/,
    );
    expect(metrics.body).toContain(
      'coderd_provisioner_jobs_completed_total{provisioner="echo",type="workspace_build"} 1',
    );
  });

  it('hosts no daemon with provisioner none, but still the API', async () => {
    const tags = { feature: randomUUID().slice(0, 8) };
    const running = await start({
      provisioner: 'none',
      provisionerTags: `feature=${tags.feature}`,
    });
    const { job } = await enqueue(db.pool, await createTarget(db.pool, { tags }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const shown = await running.app.inject({
      method: 'GET',
      url: `/api/v1/jobs/${job.id}`,
      headers: { authorization: 'Bearer feature-token' },
    });
    expect(shown.json()).toMatchObject({ status: 'pending' });
  });
});
