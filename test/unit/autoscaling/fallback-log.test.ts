import { describe, expect, it } from 'vitest';

import { FallbackLog } from '../../../src/autoscaling/fallback-log.js';
import type { TargetDecision } from '../../../src/domain/autoscaling/types.js';
import type { PresetPlan } from '../../../src/domain/prebuilds/plan.js';
import { createLogger } from '../../../src/log/logger.js';
import { presetRow } from '../prebuilds/builders.js';

function capture() {
  const lines: { level: string; msg: string; error?: string }[] = [];
  const logger = createLogger({
    level: 'info',
    pretty: false,
    stream: { write: (line: string) => void lines.push(JSON.parse(line)) },
  });
  return { logger, lines };
}

const plan = (target: Partial<TargetDecision>): PresetPlan =>
  ({
    preset: presetRow(),
    actions: [],
    state: {
      desired: 2,
      target: {
        desired: 2,
        scheduledTarget: 2,
        source: 'expression',
        error: null,
        forecast: null,
        ...target,
      },
    },
  }) as unknown as PresetPlan;

const failing = (error: string) => plan({ source: 'expression_fallback', error });

describe('autoscaling fallbacks are logged once per change', () => {
  it('warns when a policy starts failing or its reason changes, informs when it recovers', () => {
    const { logger, lines } = capture();
    const log = new FallbackLog();
    log.report([plan({})], logger);
    log.report([failing('NaN')], logger);
    log.report([failing('NaN')], logger);
    log.report([failing('NaN')], logger);
    log.report([failing('a fraction')], logger);
    log.report([plan({})], logger);
    log.report([plan({})], logger);
    expect(lines.map((line) => [line.level, line.msg, line.error])).toEqual([
      ['warn', 'autoscaling policy failed: using the scheduled target', 'NaN'],
      ['warn', 'autoscaling policy failed: using the scheduled target', 'a fraction'],
      ['info', 'autoscaling policy applies again', undefined],
    ]);
  });

  it('forgets presets that left the snapshot', () => {
    const { logger, lines } = capture();
    const log = new FallbackLog();
    log.report([failing('NaN')], logger);
    log.report([], logger);
    log.report([failing('NaN')], logger);
    expect(lines.filter((line) => line.level === 'warn')).toHaveLength(2);
  });
});
