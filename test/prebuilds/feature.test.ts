import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, describe, expect, it, vi } from 'vitest';

import { loadConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/log/logger.js';
import { readDecisionSettings } from '../../src/prebuilds/decision-settings.js';
import { prebuildsFeature } from '../../src/prebuilds/feature.js';
import { prebuildOptionsFromConfig } from '../../src/prebuilds/options.js';
import { type RunningController, startController } from '../../src/service/controller.js';
import { FEATURES } from '../../src/service/features.js';
import { packageRoot } from '../../src/util/paths.js';
import { useTestDatabase } from '../helpers/db.js';
import { strictResponseCheck } from '../helpers/response-contract.js';

const db = useTestDatabase();
let controller: RunningController | undefined;
afterAll(async () => {
  await controller?.stop();
});

const auth = { authorization: 'Bearer feature-token' };

describe('prebuilds in `run`', () => {
  it('is one of the features run hosts', () => {
    expect(FEATURES).toContain(prebuildsFeature);
  });

  it('one template push makes prebuilds appear and become ready, with the in-process echo daemon', async () => {
    const config = loadConfig(
      {
        databaseUrl: db.url,
        listen: '127.0.0.1:0',
        apiToken: 'feature-token',
        shutdownTimeout: '2s',
        echoDuration: '50ms',
        // Only the push's NOTIFY (and the builds' completions) can make the passes in time.
        reconcileInterval: '1h',
      },
      {},
    );
    controller = await startController({
      config,
      logger: silentLogger(),
      features: FEATURES,
      checkResponse: strictResponseCheck,
    });
    // The CLI's `prebuilds status` and `plan` decide with what this controller uses.
    // (Autoscaling's bounds are not among them: the CLI uses its own.)
    const { autoscaling, ...recordable } = prebuildOptionsFromConfig(config);
    expect(autoscaling).toBeDefined();
    expect(await readDecisionSettings(db.pool)).toMatchObject({
      options: recordable,
      recordedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    // The README's walk-through: `npm start` + one push of examples/quickstart.yaml.
    const name = 'quickstart';
    const pushed = await controller.app.inject({
      method: 'POST',
      url: '/api/v1/templates',
      headers: { ...auth, 'content-type': 'application/yaml' },
      payload: readFileSync(join(packageRoot, 'examples', 'quickstart.yaml'), 'utf8'),
    });
    expect(pushed.statusCode).toBe(201);
    await vi.waitFor(
      async () => {
        const status = await controller!.app.inject({
          method: 'GET',
          url: '/api/v1/presets',
          headers: auth,
        });
        if (status.statusCode !== 200) throw new Error(status.body);
        const preset = status.json().presets.find((p: { template: string }) => p.template === name);
        expect(preset).toMatchObject({ desired: 3, running: 3, ready: 3, starting: 0 });
      },
      { timeout: 15_000, interval: 100 },
    );
    const metrics = await controller.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain(
      `coderd_prebuilt_workspaces_eligible{template_name="${name}",preset_name="small",organization_name="default"} 3`,
    );
  });
});
