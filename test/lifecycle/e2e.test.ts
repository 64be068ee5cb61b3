import { afterAll, describe, expect, it, vi } from 'vitest';

import { loadConfig } from '../../src/config/load.js';
import { jobsFeature } from '../../src/jobs/feature.js';
import { lifecycleFeature, lifecycleServices } from '../../src/lifecycle/feature.js';
import { silentLogger } from '../../src/log/logger.js';
import { type RunningController, startController } from '../../src/service/controller.js';
import { workspacesFeature } from '../../src/workspaces/feature.js';
import { FakeClock } from '../helpers/clock.js';
import { useTestDatabase } from '../helpers/db.js';
import { strictResponseCheck } from '../helpers/response-contract.js';
import {
  createTemplate,
  createTemplateVersion,
  createUser,
  createWorkspace,
} from '../helpers/fixtures.js';

const db = useTestDatabase();
let controller: RunningController | undefined;
afterAll(() => controller?.stop());

const TOKEN = 'e2e-lifecycle-token';

describe('lifecycle end to end (controller, echo daemon in-process, executor)', () => {
  it('autostops a workspace at its deadline, then autostarts it on its schedule', async () => {
    const clock = new FakeClock('2025-06-04T10:00:00Z');
    const templateId = await createTemplate(db.pool, { name: 'e2e' });
    await createTemplateVersion(db.pool, { templateId });
    const ownerId = await createUser(db.pool, { username: 'e2e-owner' });
    const workspaceId = await createWorkspace(db.pool, {
      ownerId,
      templateId,
      name: 'dev',
      ttlMs: 3_600_000,
      autostartSchedule: 'CRON_TZ=UTC 0 9 * * *',
    });
    const config = loadConfig(
      {
        databaseUrl: db.url,
        listen: '127.0.0.1:0',
        apiToken: TOKEN,
        echoDuration: '0s',
        lifecycleInterval: '100ms',
        shutdownTimeout: '2s',
      },
      {},
    );
    controller = await startController({
      config,
      logger: silentLogger(),
      clock,
      features: [jobsFeature, lifecycleFeature, workspacesFeature],
      checkResponse: strictResponseCheck,
    });
    const running = controller;
    const api = async (method: 'GET' | 'POST', url: string, payload?: object) => {
      const res = await running.app.inject({
        method,
        url: `/api/v1${url}`,
        headers: { authorization: `Bearer ${TOKEN}` },
        ...(payload ? { payload } : {}),
      });
      return res.json();
    };
    const latest = async () => (await api('GET', `/workspaces/${workspaceId}`)).latest_build;
    const until = (expected: object) =>
      vi.waitFor(
        async () => {
          const build = await latest();
          expect(build).toMatchObject(expected);
          return build;
        },
        { timeout: 15_000, interval: 50 },
      );

    // A manual start, built by the in-process echo daemon: the deadline is now + TTL.
    expect(
      await api('POST', `/workspaces/${workspaceId}/builds`, { transition: 'start' }),
    ).toMatchObject({ build_number: 1 });
    await until({
      build_number: 1,
      status: 'succeeded',
      deadline: '2025-06-04T11:00:00.000Z',
    });

    // The deadline passes: the executor stops the workspace (reason autostop).
    clock.set('2025-06-04T11:00:05Z');
    await until({ build_number: 2, transition: 'stop', reason: 'autostop', status: 'succeeded' });

    // The next morning at 09:00 the schedule starts it again (reason autostart).
    clock.set('2025-06-05T09:00:10Z');
    const started = await until({
      build_number: 3,
      transition: 'start',
      reason: 'autostart',
      status: 'succeeded',
    });
    expect(started.deadline).toBe('2025-06-05T10:00:10.000Z');

    const service = lifecycleServices.get(running.context);
    const transitions = service!.history.flatMap((stats) => [...stats.transitions]);
    expect(transitions).toEqual([
      [workspaceId, 'stop (autostop)'],
      [workspaceId, 'start (autostart)'],
    ]);
    const metrics = await running.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain(
      'coderd_lifecycle_transitions_total{operation="stop",reason="autostop"} 1',
    );
    expect(metrics.body).toContain(
      'coderd_lifecycle_transitions_total{operation="start",reason="autostart"} 1',
    );
    expect(metrics.body).toMatch(/coderd_lifecycle_autobuild_execution_duration_seconds_count \d+/);
    expect(metrics.body).toContain('coderd_lifecycle_jobs_total{outcome="built"} 2');
  });
});
