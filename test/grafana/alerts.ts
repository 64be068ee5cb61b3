import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parse } from 'yaml';

import { packageRoot } from '../../src/util/paths.js';

export const alertsDir = join(packageRoot, 'grafana', 'alerts');
export const RULES_FILE = 'prebuild-controller.rules.yml';
export const RULES_TEST_FILE = 'prebuild-controller.rules.test.yml';

export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
}

export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly AlertRule[];
}

export function loadRules(): RuleGroup[] {
  return (parse(readFileSync(join(alertsDir, RULES_FILE), 'utf8')) as { groups: RuleGroup[] })
    .groups;
}

export interface RulesTest {
  readonly rule_files: readonly string[];
  readonly tests: readonly {
    readonly name: string;
    readonly input_series: readonly { readonly series: string; readonly values: string }[];
    readonly alert_rule_test?: readonly {
      readonly alertname: string;
      readonly exp_alerts: readonly unknown[];
    }[];
  }[];
}

export function loadRulesTest(): RulesTest {
  return parse(readFileSync(join(alertsDir, RULES_TEST_FILE), 'utf8')) as RulesTest;
}
