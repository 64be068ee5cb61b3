import type { Db } from '../db/sql-files.js';
import type { DemandHistory, DemandWindows } from '../domain/autoscaling/types.js';
import type { AutoscalingInput, PresetRow } from '../domain/prebuilds/types.js';
import {
  demandKey,
  type HistoryRequest,
  readDemandHistories,
  readDemandWindows,
  readLeadTimes,
} from './demand-reads.js';

interface CachedHistory {
  readonly history: DemandHistory;
  /** Zone and history length it was loaded for: a push that changes them reloads it. */
  readonly shape: string;
  readonly loadedAt: number;
}

interface CachedLeadTime {
  readonly ms: number | null;
  readonly loadedAt: number;
}

export interface AutoscalingInputsOptions {
  /**
   * How long a preset's hour-of-week profile and measured lead time are reused before they are
   * read again (default 10 minutes). Both move slowly: the profile spans weeks, the lead time is
   * a quantile of the last 50 creations. The claim windows are read on every pass.
   */
  readonly refreshMs?: number;
  /**
   * At most this many stale profiles (and as many lead times) are re-read in one pass (default
   * 25); the others keep their cached value a little longer. Spreads the refreshes of many
   * forecasts over several passes instead of one slow pass every `refreshMs`. Presets seen for
   * the first time (or whose zone or history changed) are always read.
   */
  readonly maxRefreshesPerPass?: number;
}

const DEFAULT_REFRESH_MS = 10 * 60_000;
const DEFAULT_MAX_REFRESHES = 25;

/** The stale entries to refresh this pass: the oldest first, at most `max`. */
function oldestFirst<K>(stale: Map<K, number>, max: number): Set<K> {
  return new Set(
    [...stale.entries()]
      .sort((a, b) => a[1] - b[1])
      .slice(0, max)
      .map(([key]) => key),
  );
}

/** A preset the reconciler decides for with an autoscaling policy. */
function decidesWithPolicy(preset: PresetRow): boolean {
  return (
    (preset.autoscaling ?? null) !== null &&
    preset.usingActiveVersion &&
    !preset.templateDeleted &&
    preset.desiredInstances !== null
  );
}

/**
 * The autoscaling inputs of a pass (AutoscalingInput per preset with a policy): the claim windows
 * of every preset in ONE query per pass (skipped when no preset has a policy), and for forecasts
 * the demand history and measured lead time, cached for `refreshMs` and refreshed set-based (one
 * query for every preset due, at most `maxRefreshesPerPass` stale ones per pass), so a pass at
 * 1k presets reads each forecast's history about once per refresh period, a few per pass. One
 * instance is shared by the reconciler and the status view; presets that no longer have a
 * forecast are dropped from the cache.
 */
export class AutoscalingInputs {
  readonly #refreshMs: number;
  readonly #maxRefreshes: number;
  readonly #histories = new Map<string, CachedHistory>();
  readonly #leadTimes = new Map<string, CachedLeadTime>();

  constructor(options: AutoscalingInputsOptions = {}) {
    this.#refreshMs = options.refreshMs ?? DEFAULT_REFRESH_MS;
    this.#maxRefreshes = options.maxRefreshesPerPass ?? DEFAULT_MAX_REFRESHES;
  }

  /** Forgets every cached profile and lead time (tests; a clock that jumped). */
  clear(): void {
    this.#histories.clear();
    this.#leadTimes.clear();
  }

  /**
   * `windows`: the claim windows when the caller reads them itself (loadSnapshot reads them on
   * its other connection, in the same snapshot, to balance the two); read here otherwise.
   */
  async load(
    db: Db,
    presets: readonly PresetRow[],
    now: Date,
    windows?: PromiseLike<ReadonlyMap<string, DemandWindows>>,
  ): Promise<AutoscalingInput[]> {
    const deciding = presets.filter(decidesWithPolicy);
    this.#forgetOthers(deciding);
    if (deciding.length === 0) return [];
    const histories = await this.#loadHistories(db, deciding, now);
    const leadTimes = await this.#loadLeadTimes(db, deciding, now);
    const demand = await (windows ?? readDemandWindows(db, now));
    return deciding.map((preset) => {
      const key = demandKey(preset.templateId, preset.name);
      const forecast = preset.autoscaling?.kind === 'forecast';
      return {
        presetId: preset.id,
        demand: demand.get(key) ?? NO_DEMAND,
        history: forecast ? (histories.get(key) ?? null) : null,
        measuredLeadTimeMs: forecast ? (leadTimes.get(key) ?? null) : null,
      };
    });
  }

  #forgetOthers(presets: readonly PresetRow[]): void {
    const keep = new Set(presets.map((preset) => demandKey(preset.templateId, preset.name)));
    for (const cache of [this.#histories, this.#leadTimes]) {
      for (const key of [...cache.keys()]) if (!keep.has(key)) cache.delete(key);
    }
  }

  #fresh(loadedAt: number, now: Date): boolean {
    const age = now.getTime() - loadedAt;
    return age >= 0 && age < this.#refreshMs;
  }

  async #loadHistories(
    db: Db,
    presets: readonly PresetRow[],
    now: Date,
  ): Promise<Map<string, DemandHistory>> {
    const result = new Map<string, DemandHistory>();
    const due = new Map<string, HistoryRequest>();
    const stale = new Map<string, number>();
    const staleRequests = new Map<string, HistoryRequest>();
    for (const preset of presets) {
      const policy = preset.autoscaling;
      if (policy?.kind !== 'forecast') continue;
      const key = demandKey(preset.templateId, preset.name);
      const request: HistoryRequest = {
        templateId: preset.templateId,
        presetName: preset.name,
        timezone: preset.schedulingTimezone,
        historyMs: policy.historyMs,
      };
      const shape = `${request.timezone}|${request.historyMs}`;
      const cached = this.#histories.get(key);
      if (!cached || cached.shape !== shape) {
        due.set(key, request);
      } else {
        result.set(key, cached.history);
        if (!this.#fresh(cached.loadedAt, now)) {
          stale.set(key, cached.loadedAt);
          staleRequests.set(key, request);
        }
      }
    }
    for (const key of oldestFirst(stale, this.#maxRefreshes)) {
      due.set(key, staleRequests.get(key) as HistoryRequest);
    }
    if (due.size > 0) {
      const loaded = await readDemandHistories(db, [...due.values()], now);
      for (const [key, request] of due) {
        const history = loaded.get(key) ?? { attemptsByHourOfWeek: EMPTY_PROFILE, since: null };
        const shape = `${request.timezone}|${request.historyMs}`;
        this.#histories.set(key, { history, shape, loadedAt: now.getTime() });
        result.set(key, history);
      }
    }
    return result;
  }

  async #loadLeadTimes(
    db: Db,
    presets: readonly PresetRow[],
    now: Date,
  ): Promise<Map<string, number>> {
    const result = new Map<string, number>();
    const due = new Map<string, { templateId: string; presetName: string }>();
    const stale = new Map<string, number>();
    const refs = new Map<string, { templateId: string; presetName: string }>();
    for (const preset of presets) {
      const policy = preset.autoscaling;
      // A configured lead time needs no measurement.
      if (policy?.kind !== 'forecast' || policy.leadTimeMs !== null) continue;
      const key = demandKey(preset.templateId, preset.name);
      const cached = this.#leadTimes.get(key);
      const ref = { templateId: preset.templateId, presetName: preset.name };
      if (!cached) {
        due.set(key, ref);
      } else {
        if (cached.ms !== null) result.set(key, cached.ms);
        if (!this.#fresh(cached.loadedAt, now)) {
          stale.set(key, cached.loadedAt);
          refs.set(key, ref);
        }
      }
    }
    for (const key of oldestFirst(stale, this.#maxRefreshes)) {
      due.set(key, refs.get(key) as { templateId: string; presetName: string });
    }
    if (due.size > 0) {
      const loaded = await readLeadTimes(db, [...due.values()], now);
      for (const key of due.keys()) {
        const ms = loaded.get(key) ?? null;
        this.#leadTimes.set(key, { ms, loadedAt: now.getTime() });
        if (ms !== null) result.set(key, ms);
        else result.delete(key);
      }
    }
    return result;
  }
}

const EMPTY_PROFILE: readonly number[] = Array.from({ length: 168 }, () => 0);
const zero = { 5: 0, 10: 0, 30: 0, 60: 0, 120: 0 } as const;
const NO_DEMAND = { claims: zero, misses: zero };
