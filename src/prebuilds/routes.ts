import type { FastifyPluginAsync } from 'fastify';
import type { DatabasePool } from 'slonik';

import type { AutoscalingInputs } from '../autoscaling/inputs.js';
import type { PrebuildOptions } from '../domain/prebuilds/options.js';
import { errors } from '../http/schema.js';
import type { Clock } from '../util/clock.js';
import { invalidatePreset, presetsPlan, presetsStatus, resetPreset } from './admin.js';
import { Paused, PresetChanged, PresetsPlan, PresetsStatus } from './api-schemas.js';
import { setReconciliationPaused } from './settings.js';
import type { StateViewCache } from './state-view.js';

const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, description: 'preset id' } },
} as const;

export interface PresetRoutesDeps {
  readonly db: DatabasePool;
  readonly clock: Clock;
  readonly options: PrebuildOptions;
  /** Dropped after every write here, so the next scrape shows the change. */
  readonly stateCache?: StateViewCache;
  /** The forecasts' cached inputs, shared with the reconciler. */
  readonly autoscaling?: AutoscalingInputs;
}

/**
 * `GET /presets` (status), `GET /presets/plan` (the next pass, written nowhere),
 * `POST /presets/:id/invalidate|reset`, `POST /prebuilds/pause|resume`. Every write NOTIFYs the
 * reconcilers at commit, so they act on it at once.
 */
export function presetRoutes(deps: PresetRoutesDeps): FastifyPluginAsync {
  const { db, clock, options } = deps;
  return async (api) => {
    api.get(
      '/presets',
      {
        schema: {
          summary: 'Prebuild pool status per preset',
          description: '`ready` counts the prebuilds eligible for claims.',
          tags: ['prebuilds'],
          response: { 200: PresetsStatus, ...errors() },
        },
        config: { role: 'read' },
      },
      async () => presetsStatus(db, clock.now(), options, deps.autoscaling),
    );
    api.get(
      '/presets/plan',
      {
        schema: {
          summary: 'What the next reconciliation pass would do, per preset (writes nothing)',
          tags: ['prebuilds'],
          response: { 200: PresetsPlan, ...errors() },
        },
        config: { role: 'read' },
      },
      async () => presetsPlan(db, clock.now(), options, deps.autoscaling),
    );

    for (const [action, change] of [
      ['invalidate', invalidatePreset],
      ['reset', resetPreset],
    ] as const) {
      api.post<{ Params: { id: string } }>(
        `/presets/:id/${action}`,
        {
          schema: {
            summary:
              action === 'invalidate'
                ? "Expire the preset's prebuilds: the reconciler replaces them"
                : "Clear the preset's failure hard limit: creation resumes",
            tags: ['prebuilds'],
            params: idParams,
            response: { 200: PresetChanged, ...errors(404) },
          },
          config: { role: 'template-admin' },
        },
        async (request) => {
          const preset = await change(db, request.params.id, clock.now());
          deps.stateCache?.invalidate();
          return { preset };
        },
      );
    }

    for (const [action, paused] of [
      ['pause', true],
      ['resume', false],
    ] as const) {
      const summary = paused
        ? 'Pause reconciliation: no prebuild is created or deleted'
        : 'Resume reconciliation';
      const schema = { summary, tags: ['prebuilds'], response: { 200: Paused, ...errors() } };
      api.post(`/prebuilds/${action}`, { schema, config: { role: 'template-admin' } }, async () => {
        await setReconciliationPaused(db, paused, clock.now());
        deps.stateCache?.invalidate();
        return { paused };
      });
    }
  };
}
