import {
  invalidatePreset,
  presetsPlan,
  presetsStatus,
  resetPreset,
  resolvePresetRef,
} from '../../prebuilds/admin.js';
import {
  type ApiDecisionSettings,
  type DecisionSettings,
  decisionSettings,
} from '../commands/prebuilds-decision.js';
import { setReconciliationPaused } from '../../prebuilds/settings.js';
import type { TemplateSummary } from '../../templates/list.js';
import { systemClock } from '../../util/clock.js';
import { withDatabase } from '../database.js';
import { CliError } from '../errors.js';
import { cliPrincipal } from '../principal.js';
import { ApiClient, segment } from './http.js';
import { apiTarget } from './target.js';

/** Which decision settings an answer was computed with (see prebuilds-decision.ts). */
interface WithDecisionSettings {
  readonly decision_settings: DecisionSettings | ApiDecisionSettings;
}
export type PresetsStatus = Awaited<ReturnType<typeof presetsStatus>> & WithDecisionSettings;
export type PresetsPlan = Awaited<ReturnType<typeof presetsPlan>> & WithDecisionSettings;
export interface PauseChange {
  readonly paused: boolean;
  readonly changed_by: string;
}
export type ChangedPreset = Awaited<ReturnType<typeof invalidatePreset>>;

/** `prebuilds status|plan|pause|resume|invalidate|reset`, on the database or over the API. */
export interface PrebuildsClient {
  status(): Promise<PresetsStatus>;
  plan(): Promise<PresetsPlan>;
  /** Pauses or resumes; answers who the change is recorded as. */
  setPaused(paused: boolean): Promise<PauseChange>;
  change(action: 'invalidate' | 'reset', ref: string): Promise<ChangedPreset>;
}

function databasePrebuilds(flags: Record<string, unknown>): PrebuildsClient {
  const now = () => systemClock.now();
  return {
    status: () =>
      withDatabase(flags, async ({ config, pool }) => {
        const settings = await decisionSettings(pool, config, flags);
        return {
          ...(await presetsStatus(pool, now(), settings.options)),
          decision_settings: settings,
        };
      }),
    plan: () =>
      withDatabase(flags, async ({ config, pool }) => {
        const settings = await decisionSettings(pool, config, flags);
        return {
          ...(await presetsPlan(pool, now(), settings.options)),
          decision_settings: settings,
        };
      }),
    setPaused: async (paused) => {
      const changedBy = cliPrincipal();
      await withDatabase(flags, ({ pool }) =>
        setReconciliationPaused(pool, paused, now(), changedBy),
      );
      return { paused, changed_by: changedBy };
    },
    change: (action, ref) =>
      withDatabase(flags, async ({ pool }) =>
        (action === 'invalidate' ? invalidatePreset : resetPreset)(
          pool,
          await resolvePresetRef(pool, ref),
          now(),
        ),
      ),
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A preset ref (id, template/preset, organization/template/preset) as the id the API takes, from
 * the active versions `GET /templates` lists; the same errors as the database's resolution.
 */
export async function presetIdOverApi(api: ApiClient, ref: string): Promise<string> {
  if (UUID.test(ref)) return ref;
  const parts = ref.split('/');
  if (parts.length > 3 || parts.some((part) => part === '')) {
    throw new CliError(
      `"${ref}" is not a preset: give its id, template/preset or organization/template/preset (preset: must be an id, template/preset or organization/template/preset)`,
    );
  }
  const [preset, template, organization] = [...parts].reverse();
  const { templates } = await api.get<{ templates: TemplateSummary[] }>('/templates');
  const found = templates.flatMap((t) =>
    (t.name === template || template === undefined) &&
    (t.organization === organization || organization === undefined)
      ? t.presets
          .filter((p) => p.name === preset)
          .map((p) => ({ id: p.id, where: `${t.organization}/${t.name}/${p.name}` }))
      : [],
  );
  if (found.length === 0) {
    throw new CliError(`no preset "${ref}" on the active version of a template`);
  }
  if (found.length > 1) {
    throw new CliError(
      `preset "${ref}" is ambiguous: ${found.map((p) => p.where).join(', ')} (preset: name the template: template/preset)`,
    );
  }
  return (found[0] as { id: string }).id;
}

const OVER_API: ApiDecisionSettings = { source: 'api' };

function apiPrebuilds(api: ApiClient): PrebuildsClient {
  return {
    status: async () => ({
      ...(await api.get<Omit<PresetsStatus, 'decision_settings'>>('/presets')),
      decision_settings: OVER_API,
    }),
    plan: async () => ({
      ...(await api.get<Omit<PresetsPlan, 'decision_settings'>>('/presets/plan')),
      decision_settings: OVER_API,
    }),
    setPaused: (paused) =>
      api.send<PauseChange>('POST', `/prebuilds/${paused ? 'pause' : 'resume'}`),
    change: async (action, ref) => {
      const id = await presetIdOverApi(api, ref);
      return (
        await api.send<{ preset: ChangedPreset }>('POST', `/presets/${segment(id)}/${action}`)
      ).preset;
    },
  };
}

/** The prebuilds client of a command: over HTTP with a URL, else on the database. */
export function prebuildsClient(flags: Record<string, unknown>): PrebuildsClient {
  const target = apiTarget(flags);
  return target ? apiPrebuilds(new ApiClient(target)) : databasePrebuilds(flags);
}
